import { PalisadeError } from '@palisade/core';

export type PoliciesErrorCode =
  | 'POLICY_NOT_FOUND'
  /** A policy of that kind and name exists; publish a new version of it instead. */
  | 'POLICY_EXISTS'
  /** Assigning a policy to a scope of another kind, or to a group or device that does not exist. */
  | 'POLICY_ASSIGNMENT_INVALID'
  | 'POLICY_ASSIGNMENT_NOT_FOUND'
  | 'ROLLOUT_NOT_FOUND'
  /** The rollout's status does not allow the step (resuming a completed rollout). */
  | 'ROLLOUT_STATE_CONFLICT'
  /** A device reported a policy version it was never sent. */
  | 'POLICY_STATUS_INVALID';

/** Refusals of the policies context: publishing, assigning, rolling out, device reports. */
export class PoliciesError extends PalisadeError<PoliciesErrorCode> {}
