/** The shape of every control's evaluator, and the sentences several of them share. */
import type { ControlResult } from './control-result.ts';
import type { DeviceEvidence, GroupContext } from './device-evidence.ts';

/** One control: a small pure function of the device's evidence, the time and its group. */
export type ControlEvaluator = (evidence: DeviceEvidence, now: Date, group: GroupContext) => ControlResult;

export const NO_ROOT_REPORTED =
  'The agent has not reported its root of trust: the device has not checked in yet';
export const START_AGENT_REMEDY = 'Start the agent on the device; it reports at every check-in';
export const NO_VERDICT = 'No attestation verdict: remote attestation has not run on this device';
export const TPM_REMEDY = 'Enable a TPM root of trust on the device (agent rootOfTrust: tpm) and re-enroll';
export const NO_INVENTORY =
  'The device has not reported its inventory (it reports at start and whenever it changes)';
/** The remedy for evidence only a capability Palisade does not have yet would provide. */
export const NOT_YET_AVAILABLE = 'None on the device: this needs a capability Palisade does not have yet';
