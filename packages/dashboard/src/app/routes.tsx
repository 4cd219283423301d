import type { ReactNode } from 'react';
import type { Permission } from '../api/api-types.ts';
import DeviceDetail from '../pages/devices/device-detail.tsx';
import DevicesPage from '../pages/devices/devices-page.tsx';
import { FleetOverview } from '../pages/overview/fleet-overview.tsx';
import { lazyPage } from './lazy-page.ts';

const EventsPage = lazyPage(() => import('../pages/events/events-page.tsx'));
const AlertsPage = lazyPage(() => import('../pages/alerts/alerts-page.tsx'));
const AlertDetail = lazyPage(() => import('../pages/alerts/alert-detail.tsx'));
const RulesPage = lazyPage(() => import('../pages/rules/rules-page.tsx'));
const RuleEditor = lazyPage(() => import('../pages/rules/rule-editor.tsx'));
const SigmaImport = lazyPage(() => import('../pages/rules/sigma-import.tsx'));
const PoliciesPage = lazyPage(() => import('../pages/policies/policies-page.tsx'));
const PolicyDetail = lazyPage(() => import('../pages/policies/policy-detail.tsx'));
const PolicyEditor = lazyPage(() => import('../pages/policies/policy-editor.tsx'));
const EnrollmentPage = lazyPage(() => import('../pages/enrollment/enrollment-page.tsx'));
const OperatorsPage = lazyPage(() => import('../pages/operators/operators-page.tsx'));
const AuditPage = lazyPage(() => import('../pages/audit/audit-page.tsx'));
const AccountPage = lazyPage(() => import('../pages/account/account-page.tsx'));

/** Every page in its own chunk: the shell fetches them when the browser is idle after login. */
export const LAZY_PAGES = [
  EventsPage,
  AlertsPage,
  AlertDetail,
  RulesPage,
  RuleEditor,
  SigmaImport,
  PoliciesPage,
  PolicyDetail,
  PolicyEditor,
  EnrollmentPage,
  OperatorsPage,
  AuditPage,
  AccountPage,
];

export interface AppRoute {
  readonly pattern: string;
  /** What the route shows needs this permission; without it the page says so instead. */
  readonly needs: Permission | 'authenticated';
  readonly render: (params: Record<string, string>) => ReactNode;
}

/** Most specific first: the first match wins. */
export const ROUTES: readonly AppRoute[] = [
  { pattern: '/', needs: 'fleet:read', render: () => <FleetOverview /> },
  { pattern: '/devices', needs: 'fleet:read', render: () => <DevicesPage /> },
  { pattern: '/devices/:id', needs: 'fleet:read', render: (p) => <DeviceDetail deviceId={p.id ?? ''} /> },
  { pattern: '/events', needs: 'events:read', render: () => <EventsPage /> },
  { pattern: '/alerts', needs: 'events:read', render: () => <AlertsPage /> },
  { pattern: '/alerts/:id', needs: 'events:read', render: (p) => <AlertDetail alertId={p.id ?? ''} /> },
  { pattern: '/rules', needs: 'events:read', render: () => <RulesPage /> },
  { pattern: '/rules/new', needs: 'rules:manage', render: () => <RuleEditor ruleId={undefined} /> },
  { pattern: '/rules/import-sigma', needs: 'rules:manage', render: () => <SigmaImport /> },
  { pattern: '/rules/:id', needs: 'events:read', render: (p) => <RuleEditor ruleId={p.id ?? ''} /> },
  { pattern: '/policies', needs: 'fleet:read', render: () => <PoliciesPage /> },
  { pattern: '/policies/new', needs: 'policies:manage', render: () => <PolicyEditor policyId={undefined} /> },
  { pattern: '/policies/:id', needs: 'fleet:read', render: (p) => <PolicyDetail policyId={p.id ?? ''} /> },
  {
    pattern: '/policies/:id/edit',
    needs: 'policies:manage',
    render: (p) => <PolicyEditor policyId={p.id ?? ''} />,
  },
  { pattern: '/enrollment', needs: 'fleet:read', render: () => <EnrollmentPage /> },
  { pattern: '/operators', needs: 'operators:read', render: () => <OperatorsPage /> },
  { pattern: '/audit', needs: 'audit:read', render: () => <AuditPage /> },
  { pattern: '/account', needs: 'authenticated', render: () => <AccountPage /> },
];

export interface NavEntry {
  readonly to: string;
  readonly label: string;
  readonly needs: Permission;
  /** Other path prefixes that light this entry up. */
  readonly prefix: string;
}

/**
 * Only capabilities the API has today. Compliance and updates come with
 * their APIs (issues 12 and 8).
 */
export const NAV: readonly NavEntry[] = [
  { to: '/', label: 'Overview', needs: 'fleet:read', prefix: '/overview' },
  { to: '/devices', label: 'Devices', needs: 'fleet:read', prefix: '/devices' },
  { to: '/alerts', label: 'Alerts', needs: 'events:read', prefix: '/alerts' },
  { to: '/events', label: 'Events', needs: 'events:read', prefix: '/events' },
  { to: '/rules', label: 'Detection rules', needs: 'events:read', prefix: '/rules' },
  { to: '/policies', label: 'Policies', needs: 'fleet:read', prefix: '/policies' },
  { to: '/enrollment', label: 'Enrollment & PKI', needs: 'fleet:read', prefix: '/enrollment' },
  { to: '/operators', label: 'Operators', needs: 'operators:read', prefix: '/operators' },
  { to: '/audit', label: 'Audit log', needs: 'audit:read', prefix: '/audit' },
];
