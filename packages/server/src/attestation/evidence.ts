import { EventLogError } from '@palisade/core';

/** What the agent posts to `/v1/devices/:id/attestation/evidence` (all binary fields base64). */
export interface EvidenceBody {
  /** The nonce from the challenge, exactly as issued (32 bytes). */
  readonly nonce: string;
  /** `tpm2_quote -m`: TPMS_ATTEST. */
  readonly message: string;
  /** `tpm2_quote -s`: TPMT_SIGNATURE. */
  readonly signature: string;
  /** `tpm2_quote -o … -F values`: the quoted PCR values, concatenated in selection order. */
  readonly pcrValues: string;
  /** The TCG PC Client binary event log; absent when the device has none. */
  readonly eventLog?: string;
  /** The platform firmware version, selecting firmware-specific reference values. */
  readonly firmwareVersion?: string;
}

/** Nonces are 256-bit (SECURITY-TESTS: ≥ 128 bits). */
export const NONCE_BYTES = 32;

/**
 * Keylime GHSA-6xx7-m45w-76m2: evidence is capped before it is decoded or
 * parsed. Real firmware logs are tens of kilobytes; 1 MiB leaves ample room
 * and is what one verification may cost at most.
 */
export const EVIDENCE_LIMITS = {
  maxEventLogBytes: 1024 * 1024,
  /** The whole evidence body (Fastify refuses larger bodies with 413 before parsing them). */
  maxBodyBytes: 2 * 1024 * 1024,
} as const;

const BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
const STRICT_BASE64 = new RegExp(BASE64);

/** base64 length of `bytes` bytes. */
function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** JSON schema of the evidence body: the quote's parts are small and bounded here; the log is checked by decodeEventLog. */
export const EVIDENCE_SCHEMA = {
  type: 'object',
  required: ['nonce', 'message', 'signature', 'pcrValues'],
  additionalProperties: false,
  properties: {
    nonce: { type: 'string', pattern: `^[A-Za-z0-9+/]{43}=$` },
    // QUOTE_LIMITS: attest 2 KiB, signature 1 KiB; PCR values: 24 PCRs × 4 banks × 64 bytes.
    message: { type: 'string', minLength: 1, maxLength: base64Length(2050), pattern: BASE64 },
    signature: { type: 'string', minLength: 1, maxLength: base64Length(1024), pattern: BASE64 },
    pcrValues: { type: 'string', minLength: 1, maxLength: base64Length(6144), pattern: BASE64 },
    // Length and alphabet are checked by decodeEventLog, so an oversized log is a failing verdict, not a 400.
    eventLog: { type: 'string' },
    firmwareVersion: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]+$' },
  },
} as const;

/** Decodes a base64 field the schema already checked. */
export function base64Bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * The event log's bytes: its base64 length is checked against the cap
 * before a byte is decoded, then its alphabet, strictly (Node's decoder
 * skips what it does not understand).
 *
 * @throws EventLogError EVENT_LOG_TOO_LARGE or EVENT_LOG_MALFORMED.
 */
export function decodeEventLog(text: string): Uint8Array {
  if (text.length > base64Length(EVIDENCE_LIMITS.maxEventLogBytes))
    throw new EventLogError(
      'EVENT_LOG_TOO_LARGE',
      `the event log is ${text.length} base64 characters, limit ${base64Length(EVIDENCE_LIMITS.maxEventLogBytes)} (${EVIDENCE_LIMITS.maxEventLogBytes} bytes)`,
    );
  if (!STRICT_BASE64.test(text))
    throw new EventLogError('EVENT_LOG_MALFORMED', 'the event log is not canonical base64');
  const bytes = base64Bytes(text);
  // The alphabet check lets non-zero padding bits through ("AB==" decodes as "AA=="): one text, one log.
  if (Buffer.from(bytes).toString('base64') !== text)
    throw new EventLogError(
      'EVENT_LOG_MALFORMED',
      'the event log is not canonical base64 (non-zero padding bits)',
    );
  return bytes;
}
