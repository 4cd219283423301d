export { OcspResponseCache } from './ocsp-response-cache.ts';
export type { RevocationRouteServices } from './revocation-routes.ts';
export { issuerPathName, registerRevocationRoutes } from './revocation-routes.ts';
