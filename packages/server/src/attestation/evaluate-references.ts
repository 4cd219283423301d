import type { MeasuredEvent, Measurements } from './measurements.ts';
import type { ReferenceValues } from './reference-values.ts';
import { type FailureLocation, type VerdictCode, VerdictFailure } from './verdict-failure.ts';

interface ReferenceMismatch extends FailureLocation {
  readonly code: VerdictCode;
  readonly message: string;
}

/** How many mismatches a verdict lists beyond the first (the first is the verdict's own PCR/event). */
const LISTED_MISMATCHES = 20;

/**
 * Checks verified measurements against a group's reference values (SB-2):
 *
 * 1. every PCR with allowed values is quoted and holds one of them;
 * 2. event rules and Secure Boot need the event log;
 * 3. every event of a rule's type (on its PCR) has an allowed SHA-256 digest;
 * 4. with `requireSecureBoot`, the last SecureBoot variable measurement says
 *    enabled, and its data hashes to its digest (PFP §10.4.4: the digest of
 *    EV_EFI_VARIABLE_DRIVER_CONFIG is over UEFI_VARIABLE_DATA, so the value
 *    read from the data is only as good as that match).
 *
 * `measurements.events` must come from a log whose replay matched the quote.
 *
 * @throws VerdictFailure for the first mismatch, every mismatch in `details.mismatches`.
 */
export function checkReferenceValues(references: ReferenceValues, measurements: Measurements): void {
  const found = [...pcrMismatches(references, measurements), ...eventMismatches(references, measurements)];
  const first = found[0];
  if (first === undefined) return;
  const { code, message, ...where } = first;
  throw new VerdictFailure(code, message, {
    ...where,
    details: {
      ...where.details,
      mismatches: found.slice(0, LISTED_MISMATCHES).map(({ code: c, pcr, eventIndex, eventType }) => ({
        code: c,
        ...(pcr === undefined ? {} : { pcr }),
        ...(eventIndex === undefined ? {} : { eventIndex }),
        ...(eventType === undefined ? {} : { eventType }),
      })),
      ...(found.length > LISTED_MISMATCHES ? { moreMismatches: found.length - LISTED_MISMATCHES } : {}),
    },
  });
}

function pcrMismatches(references: ReferenceValues, measurements: Measurements): ReferenceMismatch[] {
  const mismatches: ReferenceMismatch[] = [];
  const pcrs = Object.keys(references.pcrs)
    .map(Number)
    .sort((a, b) => a - b);
  for (const pcr of pcrs) {
    const allowed = references.pcrs[pcr] ?? [];
    const quoted = measurements.pcrs[pcr];
    if (quoted === undefined) {
      mismatches.push(notQuoted(pcr));
    } else if (!allowed.includes(quoted)) {
      mismatches.push({
        code: 'REFERENCE_PCR_MISMATCH',
        message: `PCR ${pcr} is ${quoted}, not one of the ${allowed.length} allowed value(s)`,
        pcr,
        details: { quoted },
      });
    }
  }
  return mismatches;
}

function eventMismatches(references: ReferenceValues, measurements: Measurements): ReferenceMismatch[] {
  if (references.events.length === 0 && !references.requireSecureBoot) return [];
  const events = measurements.events;
  if (events === undefined)
    return [
      {
        code: 'EVENT_LOG_REQUIRED',
        message: 'the reference values check events or Secure Boot, and the device sent no event log',
      },
    ];
  const mismatches: ReferenceMismatch[] = [];
  for (const rule of references.events) {
    if (rule.pcr !== undefined && measurements.pcrs[rule.pcr] === undefined) {
      mismatches.push(notQuoted(rule.pcr));
      continue;
    }
    for (const event of events) {
      if (event.type !== rule.type || (rule.pcr !== undefined && event.pcr !== rule.pcr)) continue;
      if (event.sha256 !== undefined && rule.digests.includes(event.sha256)) continue;
      mismatches.push({
        code: 'REFERENCE_EVENT_MISMATCH',
        message: `event ${event.index} (${event.type} on PCR ${event.pcr}${
          event.description ? `, ${JSON.stringify(event.description.slice(0, 80))}` : ''
        }) measured ${event.sha256 ?? 'no SHA-256 digest'}, not an allowed digest`,
        ...locate(event),
        details: { digest: event.sha256 ?? null },
      });
    }
  }
  if (references.requireSecureBoot) {
    const problem = secureBootProblem(events);
    if (problem) mismatches.push(problem);
  }
  return mismatches;
}

function secureBootProblem(events: readonly MeasuredEvent[]): ReferenceMismatch | undefined {
  const measured = events.filter(
    (event) => event.type === 'EV_EFI_VARIABLE_DRIVER_CONFIG' && event.secureBoot !== undefined,
  );
  const last = measured.at(-1);
  if (last === undefined)
    return {
      code: 'SECURE_BOOT_NOT_MEASURED',
      message: 'Secure Boot is required and the log measures no SecureBoot variable on a quoted PCR',
    };
  if (last.dataMatchesDigest !== true)
    return {
      code: 'SECURE_BOOT_EVENT_INVALID',
      message: `event ${last.index}: the SecureBoot variable data does not hash to the digest extended into PCR ${last.pcr}`,
      ...locate(last),
    };
  if (last.secureBoot !== true)
    return {
      code: 'SECURE_BOOT_DISABLED',
      message: `event ${last.index}: Secure Boot is required and the firmware measured SecureBoot = disabled`,
      ...locate(last),
    };
  return undefined;
}

function notQuoted(pcr: number): ReferenceMismatch {
  return {
    code: 'REFERENCE_PCR_NOT_QUOTED',
    message: `reference values name PCR ${pcr}, which the attestation profile does not quote`,
    pcr,
  };
}

function locate(event: MeasuredEvent): FailureLocation {
  return { pcr: event.pcr, eventIndex: event.index, eventType: event.type };
}
