export type { CertificateRecords, IssuerRevocation } from './issuer-revocation.ts';
export { buildIssuerRevocation, refreshCrls, reissueCrls } from './issuer-revocation.ts';
export { OcspResponseCache } from './ocsp-response-cache.ts';
export type { IssuerCrl, RevocationRouteServices } from './revocation-routes.ts';
export { issuerPathName, registerRevocationRoutes } from './revocation-routes.ts';
