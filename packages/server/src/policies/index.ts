export type { PoliciesErrorCode } from './policies-error.ts';
export { PoliciesError } from './policies-error.ts';
export { PolicyAssignments, scopeValue } from './policy-assignments.ts';
export type {
  DesiredPolicy,
  DevicePolicyStatus,
  PolicyApplyState,
  PolicyStatusReport,
} from './policy-delivery.ts';
export { PolicyDelivery } from './policy-delivery.ts';
export { registerPolicyDeviceRoutes } from './policy-device-routes.ts';
export type { Rollout, RolloutMove, RolloutProgress, RolloutStatus } from './policy-rollouts.ts';
export { PolicyRollouts, rolloutBucket } from './policy-rollouts.ts';
export type { PolicyRouteServices } from './policy-routes.ts';
export { registerPolicyRoutes } from './policy-routes.ts';
export type { PolicySigning, PolicyTrustKey } from './policy-signing-keys.ts';
export { ensurePolicySigning } from './policy-signing-keys.ts';
export type { PolicyActor, PolicySummary, PublishedVersion, RolloutPlan } from './policy-store.ts';
export { IMMEDIATE_ROLLOUT, PolicyStore } from './policy-store.ts';
