import { assertRestrictedSigningKey, parseTpm2bPublic } from '@palisade/core';
import { AgentError } from '../agent-error.ts';

/** The panel's answer to a binding request. */
export type Binding =
  | { readonly status: 'active'; readonly keyId: string }
  | { readonly status: 'pending'; readonly keyId: string; readonly credential: Uint8Array };

export interface Challenge {
  readonly nonce: Uint8Array;
  /** `tpm2_quote -l`, e.g. `sha256:0,1,2,3,4,5,6,7`. */
  readonly tpm2Selection: string;
  readonly intervalSeconds: number;
}

export interface PanelVerdict {
  readonly id: string;
  readonly result: 'pass' | 'fail';
  readonly code: string | null;
  readonly component: string | null;
  readonly message: string;
  readonly pcr: number | null;
  readonly notRun: readonly string[];
}

const SELECTION = /^sha256:(?:[0-9]|1[0-9]|2[0-3])(?:,(?:[0-9]|1[0-9]|2[0-3])){0,23}$/;
const KEY_ID = /^[0-9a-f-]{36}$/;
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Whether TPM2B_PUBLIC bytes are a restricted fixedTPM signing key, i.e. usable as an AK. */
export function isAttestationKey(tpm2bPublic: Uint8Array): boolean {
  try {
    assertRestrictedSigningKey(parseTpm2bPublic(tpm2bPublic));
    return true;
  } catch {
    return false;
  }
}

export function parseBinding(value: unknown): Binding {
  const answer = record(value, 'the binding answer');
  const keyId = typeof answer.keyId === 'string' && KEY_ID.test(answer.keyId) ? answer.keyId : undefined;
  if (keyId === undefined) throw invalid('the binding answer has no key ID');
  if (answer.status === 'active') return { status: 'active', keyId };
  if (
    answer.status === 'pending' &&
    typeof answer.credential === 'string' &&
    answer.credential.length <= 4096
  )
    return { status: 'pending', keyId, credential: new Uint8Array(Buffer.from(answer.credential, 'base64')) };
  throw invalid('the binding answer is neither active nor a pending credential');
}

export function parseChallenge(value: unknown): Challenge {
  const answer = record(value, 'the challenge');
  const nonce = typeof answer.nonce === 'string' ? Buffer.from(answer.nonce, 'base64') : Buffer.alloc(0);
  // SECURITY-TESTS: nonces are at least 128 bits; tpm2_quote takes at most a digest's worth.
  if (nonce.length < 16 || nonce.length > 64) throw invalid('the challenge nonce is not 16–64 bytes');
  const selection = answer.tpm2Selection;
  if (typeof selection !== 'string' || !SELECTION.test(selection))
    throw invalid('the challenge PCR selection is not sha256:<PCRs 0–23>');
  const interval = answer.intervalSeconds;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1 || interval > 604_800)
    throw invalid('the challenge interval is not 1 s to a week');
  return { nonce: new Uint8Array(nonce), tpm2Selection: selection, intervalSeconds: interval };
}

export function parseVerdict(value: unknown): PanelVerdict {
  const verdict = record(record(value, 'the evidence answer').verdict, 'the verdict');
  const { id, result, code, component, message, pcr, notRun } = verdict;
  if (typeof id !== 'string' || (result !== 'pass' && result !== 'fail'))
    throw invalid('the verdict has no ID or result');
  return {
    id,
    result,
    code: typeof code === 'string' && CODE.test(code) ? code : null,
    component: typeof component === 'string' ? component.slice(0, 32) : null,
    message: typeof message === 'string' ? message.slice(0, 500) : '',
    pcr: typeof pcr === 'number' && Number.isInteger(pcr) ? pcr : null,
    notRun: Array.isArray(notRun) ? notRun.filter((check): check is string => typeof check === 'string') : [],
  };
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function invalid(message: string): AgentError {
  return new AgentError('PANEL_ANSWER_INVALID', message);
}
