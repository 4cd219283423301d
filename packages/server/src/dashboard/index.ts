export type { DashboardOptions } from './dashboard-routes.ts';
export { DASHBOARD_CSP, DEFAULT_DASHBOARD_DIR, registerDashboardRoutes } from './dashboard-routes.ts';
