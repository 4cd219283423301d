export type { RevocationRouteServices } from './revocation-routes.ts';
export { registerRevocationRoutes } from './revocation-routes.ts';
