import { PalisadeError } from '../../errors/palisade-error.ts';
import type { AlgorithmName } from './hash-algorithms.ts';

/**
 * A TCG PC Client event log (what firmware leaves in
 * `/sys/kernel/security/tpm0/binary_bios_measurements`), parsed once from
 * untrusted bytes by `parseEventLog`. Nothing in it is trusted until its
 * replay (`replayEventLog`) matches PCR values from a verified quote.
 */
export interface EventLog {
  /**
   * `sha1`: TCG_PCClientPCREvent records only (TPM 1.2 firmware, PFP §10.2.1);
   * `crypto-agile`: a Spec ID Event03 header then TCG_PCR_EVENT2 records (PFP §10.2.2).
   */
  readonly format: 'sha1' | 'crypto-agile';
  /** The PCR banks the log has digests for, from the Spec ID event (`sha1` alone in the SHA-1 format). */
  readonly algorithms: readonly EventLogAlgorithm[];
  /** Every record in log order, the header event included (index 0). */
  readonly events: readonly TcgEvent[];
}

export interface EventLogAlgorithm {
  /** TPM_ALG_ID (TCG Algorithm Registry), e.g. 0x000B for SHA-256. */
  readonly algId: number;
  readonly name: AlgorithmName;
  readonly digestSize: number;
}

/**
 * Lower-case hex digests by bank name. A crypto-agile record should carry one
 * per algorithm of the Spec ID event (PFP §10.1) and may carry fewer; the
 * Spec ID record itself, like every SHA-1 format record, carries `sha1` only.
 */
export type EventDigests = Readonly<Partial<Record<AlgorithmName, string>>>;

export interface TcgEvent {
  /** Position in the log, from 0. */
  readonly index: number;
  readonly pcr: number;
  /** The numeric event type (PFP §10.4.1, Table 9). */
  readonly type: number;
  /** `EV_…` from PFP §10.4.1, or `EV_UNKNOWN_0x…` for a type the spec does not define. */
  readonly typeName: string;
  readonly digests: EventDigests;
  /** The event field, verbatim (a copy: the caller's buffer may be reused). */
  readonly eventData: Uint8Array;
  /** Best-effort reading of eventData for common types; absent when it lacks the expected shape. */
  readonly decoded?: DecodedEventData;
}

/** What `decoded` may hold; every string in it comes from the log and is untrusted text. */
export type DecodedEventData =
  | {
      /** PFP §10.4.5.1 TCG_EfiSpecIDEventStruct (or the SHA-1 format's Spec ID Event00). */
      readonly kind: 'spec-id';
      readonly signature: string;
      readonly platformClass: number;
      /** specVersionMajor.specVersionMinor, e.g. `2.0`. */
      readonly specVersion: string;
      readonly specErrata: number;
      readonly uintnSize: number;
      readonly algorithms: readonly EventLogAlgorithm[];
      readonly vendorInfoSize: number;
    }
  | { readonly kind: 'startup-locality'; readonly locality: number }
  | { readonly kind: 'no-action'; readonly signature: string }
  | {
      /** PFP §10.2.6 UEFI_VARIABLE_DATA. */
      readonly kind: 'uefi-variable';
      readonly variableGuid: string;
      readonly unicodeName: string;
      readonly variableDataLength: number;
      /** The SecureBoot variable's value (1 byte: enabled or not). */
      readonly secureBoot?: boolean;
      /** BootOrder: the Boot#### numbers in order. */
      readonly bootOrder?: readonly number[];
      /** Boot####: the EFI_LOAD_OPTION description (UEFI 2.10 §3.1.3). */
      readonly bootOptionDescription?: string;
    }
  | {
      /** PFP §10.2.3 UEFI_IMAGE_LOAD_EVENT. */
      readonly kind: 'uefi-image-load';
      readonly imageLocation: string;
      readonly imageLength: number;
      readonly linkTimeAddress: string;
      readonly devicePathLength: number;
      /** The file path node(s) of the device path, e.g. `\EFI\BOOT\BOOTX64.EFI`. */
      readonly filePath?: string;
    }
  | {
      /** PFP §10.2.5 UEFI_PLATFORM_FIRMWARE_BLOB (also used by EV_POST_CODE). */
      readonly kind: 'firmware-blob';
      readonly blobBase: string;
      readonly blobLength: number;
    }
  | { readonly kind: 'separator'; readonly error: boolean }
  | { readonly kind: 'guid'; readonly guid: string }
  | { readonly kind: 'text'; readonly text: string };

export type EventLogErrorCode =
  /** A structure violates the PC Client PFP (bad header, unknown algorithm, duplicate digest …). */
  | 'EVENT_LOG_MALFORMED'
  /** A length or count points past the end of the log. */
  | 'EVENT_LOG_TRUNCATED'
  /** Over one of EVENT_LOG_LIMITS. */
  | 'EVENT_LOG_TOO_LARGE';

/** Refusal of an event log: where it went wrong is in `details` (byte offset, event index). */
export class EventLogError extends PalisadeError<EventLogErrorCode> {
  readonly offset: number | undefined;
  readonly eventIndex: number | undefined;

  constructor(
    code: EventLogErrorCode,
    message: string,
    where: { readonly offset?: number; readonly eventIndex?: number } = {},
  ) {
    const prefix = [
      where.eventIndex === undefined ? undefined : `event ${where.eventIndex}`,
      where.offset === undefined ? undefined : `byte ${where.offset}`,
    ].filter((part) => part !== undefined);
    super(code, prefix.length === 0 ? message : `${prefix.join(' at ')}: ${message}`, {
      details: { ...where },
    });
    this.offset = where.offset;
    this.eventIndex = where.eventIndex;
  }
}

/**
 * Limits on untrusted logs. Real firmware logs are tens of kilobytes with a
 * few hundred events (the largest in the fixtures: 34 KB, 112 events); the
 * limits leave two orders of magnitude of room and bound what one log costs.
 */
export const EVENT_LOG_LIMITS = {
  maxLogBytes: 4 * 1024 * 1024,
  maxEvents: 10_000,
  maxEventDataBytes: 1024 * 1024,
  /** Digests per event and algorithms in the Spec ID event (a TPM has a handful of banks). */
  maxDigestCount: 8,
} as const;
