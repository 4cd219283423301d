import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { EventLog, TcgEvent } from './event-log.ts';
import { EventLogError } from './event-log.ts';
import { TCG_EVENT_TYPES as EV } from './event-types.ts';
import type { AlgorithmName } from './hash-algorithms.ts';
import { nodeHashOf } from './hash-algorithms.ts';
import { startupLocalityOf } from './no-action-event.ts';

/** Final PCR values by bank, then by PCR index (ascending), as lower-case hex. */
export type ReplayedPcrs = ReadonlyMap<AlgorithmName, ReadonlyMap<number, string>>;

/** PC Client PTP: a PC Client TPM has PCRs 0–23, and firmware logs only those. */
export const PCR_COUNT = 24;

/** TPM2_Startup at locality 0 or 3, or an H-CRTM sequence at locality 4 (PFP §10.4.5.3). */
const STARTUP_LOCALITIES: ReadonlySet<number> = new Set([0, 3, 4]);
const H_CRTM_LOCALITY = 4;

interface Bank {
  readonly name: AlgorithmName;
  readonly hash: string;
  readonly digestSize: number;
  readonly pcrs: Map<number, Buffer>;
  complete: boolean;
}

/**
 * Replays a parsed log: the PCR values it implies in every bank whose hash
 * node:crypto has (all of the TCG registry's SHA-1/2/3 and SM3 banks). Every
 * PCR starts at zero and each event other than EV_NO_ACTION extends its PCR
 * with its digest: new = H(old || digest) (TPM 2.0 Part 3 §22.2,
 * TPM2_PCR_Extend). Only PCRs the log touches appear in the result, and only
 * banks for which every extending event carries a digest: a bank with a gap
 * is left out, so a quote over it matches nothing (see compareWithQuotedPcrs).
 *
 * PCR 0 may start elsewhere: a StartupLocality EV_NO_ACTION event (PFP
 * §10.4.5.3) sets its initial value to 0…0L in every bank, and an
 * EV_EFI_HCRTM_EVENT means the H-CRTM sequence reset it to 0…04 before
 * extending it (TPM 2.0 Part 1 §34.3). Either must come before PCR 0's first
 * extend (a StartupLocality 4 may follow the H-CRTM event it agrees with);
 * they must agree.
 *
 * @throws EventLogError EVENT_LOG_MALFORMED for an extend of a PCR above 23,
 *   or a misplaced or contradictory startup locality.
 */
export function replayEventLog(log: EventLog): ReplayedPcrs {
  const banks: Bank[] = [];
  for (const algorithm of log.algorithms) {
    const hash = nodeHashOf(algorithm.name);
    if (hash !== undefined) banks.push({ ...algorithm, hash, pcrs: new Map(), complete: true });
  }
  let pcr0Locality: number | undefined;
  let pcr0Extended = false;
  const setPcr0Locality = (event: TcgEvent, locality: number): void => {
    if (pcr0Locality === locality) return;
    if (pcr0Locality !== undefined) {
      fail(event, `PCR 0 startup locality ${locality} contradicts the earlier ${pcr0Locality}`);
    }
    if (pcr0Extended) fail(event, 'PCR 0 was extended before its startup locality was logged');
    pcr0Locality = locality;
    for (const bank of banks) bank.pcrs.set(0, initialValue(bank.digestSize, locality));
  };

  for (const event of log.events) {
    if (event.type === EV.EV_NO_ACTION) {
      const locality = event.pcr === 0 ? startupLocalityOf(event.eventData) : undefined;
      if (locality === undefined) continue;
      if (!STARTUP_LOCALITIES.has(locality)) fail(event, `StartupLocality ${locality} is not 0, 3 or 4`);
      setPcr0Locality(event, locality);
      continue;
    }
    if (event.pcr >= PCR_COUNT) fail(event, `extends PCR ${event.pcr}; a PC Client TPM has PCRs 0-23`);
    if (event.pcr === 0) {
      if (event.type === EV.EV_EFI_HCRTM_EVENT) setPcr0Locality(event, H_CRTM_LOCALITY);
      pcr0Extended = true;
    }
    for (const bank of banks) {
      const digest = event.digests[bank.name];
      if (digest === undefined) {
        // Which value was extended into this bank is unknown: the bank cannot be replayed at all.
        bank.complete = false;
        continue;
      }
      const old = bank.pcrs.get(event.pcr) ?? initialValue(bank.digestSize, 0);
      bank.pcrs.set(event.pcr, createHash(bank.hash).update(old).update(Buffer.from(digest, 'hex')).digest());
    }
  }

  return new Map(
    banks
      .filter((bank) => bank.complete)
      .map((bank) => [
        bank.name,
        new Map([...bank.pcrs].sort(([a], [b]) => a - b).map(([pcr, value]) => [pcr, value.toString('hex')])),
      ]),
  );
}

function initialValue(size: number, locality: number): Buffer {
  const value = Buffer.alloc(size);
  value[size - 1] = locality;
  return value;
}

function fail(event: TcgEvent, message: string): never {
  throw new EventLogError('EVENT_LOG_MALFORMED', message, { eventIndex: event.index });
}
