import { createHash } from 'node:crypto';
import { canonicalJson } from '@palisade/core';

/**
 * What the panel wants a device to do, as the device pulls it after a push.
 * Policies and update assignments join this document as their contexts land;
 * `version` changes whenever the content does, so a device can skip work.
 */
export interface DesiredState {
  readonly version: string;
  readonly heartbeatSeconds: number;
  /** The effective policy per kind, at the version the device's rollout phase gives it. */
  readonly policies: Readonly<Record<string, { policyId: string; version: number; digest: string }>>;
}

export function desiredState(content: Omit<DesiredState, 'version'>): DesiredState {
  const version = createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32);
  return { ...content, version };
}
