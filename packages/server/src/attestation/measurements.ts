import { createHash } from 'node:crypto';
import { type EventLog, TCG_EVENT_TYPES, type TcgEvent } from '@palisade/core';

/** One event of a replayed log, as reference values see it. */
export interface MeasuredEvent {
  readonly index: number;
  readonly pcr: number;
  /** `EV_…` name (PFP §10.4.1). */
  readonly type: string;
  /** The SHA-256 digest extended, lower-case hex (absent when the log has no SHA-256 bank entry). */
  readonly sha256?: string;
  /** Image path or variable name from the event data, for people reading verdicts; untrusted text. */
  readonly description?: string;
  /** EV_EFI_VARIABLE_DRIVER_CONFIG SecureBoot: the measured value. */
  readonly secureBoot?: boolean;
  /**
   * For events whose digest is the hash of their own data (UEFI variables,
   * PFP §10.4.4): whether it is. Only then does the decoded content count.
   */
  readonly dataMatchesDigest?: boolean;
}

/**
 * What a verified quote and its replayed log say about one boot: the quoted
 * SHA-256 PCR values and the events on quoted PCRs (an event on a PCR the
 * quote does not cover is unverified and left out).
 */
export interface Measurements {
  /** PCR index → quoted SHA-256 value. */
  readonly pcrs: Readonly<Record<number, string>>;
  /** Absent when no event log was sent: only PCR references can be checked. */
  readonly events?: readonly MeasuredEvent[];
}

/** Events measured as the hash of their event data (PFP §10.4.4, UEFI_VARIABLE_DATA). */
const DATA_DIGEST_TYPES: ReadonlySet<number> = new Set([
  TCG_EVENT_TYPES.EV_EFI_VARIABLE_DRIVER_CONFIG,
  TCG_EVENT_TYPES.EV_EFI_VARIABLE_AUTHORITY,
]);

/** The measurements of a log that replayed to `quotedPcrs`. */
export function measurementsOf(log: EventLog, quotedPcrs: Readonly<Record<number, string>>): Measurements {
  const events = log.events
    .filter((event) => event.type !== TCG_EVENT_TYPES.EV_NO_ACTION && quotedPcrs[event.pcr] !== undefined)
    .map(measuredEvent);
  return { pcrs: quotedPcrs, events };
}

function measuredEvent(event: TcgEvent): MeasuredEvent {
  const sha256 = event.digests.sha256;
  const description = describe(event);
  const checksData = DATA_DIGEST_TYPES.has(event.type) && sha256 !== undefined;
  const decoded = event.decoded;
  return {
    index: event.index,
    pcr: event.pcr,
    type: event.typeName,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(description === undefined ? {} : { description }),
    ...(decoded?.kind === 'uefi-variable' && decoded.secureBoot !== undefined
      ? { secureBoot: decoded.secureBoot }
      : {}),
    ...(checksData
      ? { dataMatchesDigest: createHash('sha256').update(event.eventData).digest('hex') === sha256 }
      : {}),
  };
}

function describe(event: TcgEvent): string | undefined {
  const decoded = event.decoded;
  switch (decoded?.kind) {
    case 'uefi-image-load':
      return decoded.filePath;
    case 'uefi-variable':
      return decoded.unicodeName;
    case 'text':
      return decoded.text.slice(0, 200);
    default:
      return undefined;
  }
}
