import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { TcgEventTypeName } from '@palisade/core';
import { TCG_EVENT_TYPES } from '@palisade/core';

const run = promisify(execFile);

const EV_NO_ACTION = TCG_EVENT_TYPES.EV_NO_ACTION;
const BANKS = [
  { name: 'sha1', algId: 0x0004, size: 20 },
  { name: 'sha256', algId: 0x000b, size: 32 },
] as const;

export type EventLogBank = (typeof BANKS)[number]['name'];

export interface EventLogEntry {
  readonly pcr: number;
  /** An `EV_…` name or the numeric event type. */
  readonly type: TcgEventTypeName | number;
  /** The event field; a string is written as UTF-8. Default: empty. */
  readonly data?: Uint8Array | string;
  /**
   * What is extended, as hex. Default: the hash of `data` (EV_SEPARATOR,
   * EV_IPL, EV_EFI_ACTION …), or zeros for EV_NO_ACTION. Give them for events
   * that measure something other than their data (an image, a variable's value).
   */
  readonly digests?: Readonly<Record<EventLogBank, string>>;
}

export interface BuiltEvent {
  readonly pcr: number;
  readonly type: number;
  readonly data: Uint8Array;
  readonly digests: Readonly<Record<EventLogBank, string>>;
  /** False for EV_NO_ACTION: logged, never extended. */
  readonly extended: boolean;
}

export interface BuiltEventLog {
  /** A crypto-agile log (Spec ID Event03 with SHA-1 and SHA-256), as firmware leaves it in securityfs. */
  readonly bytes: Uint8Array;
  readonly events: readonly BuiltEvent[];
  /** The PCRs the events extend (and PCR 0 after a StartupLocality), by bank, as lower-case hex. */
  readonly expectedPcrs: Readonly<Record<EventLogBank, ReadonlyMap<number, string>>>;
}

/**
 * Writes TCG event logs for attestation tests, and computes the PCR values
 * they imply on its own (it shares no code with the parser it tests), so a
 * test can extend the same digests into swtpm (`extendIntoTpm`) and compare
 * a quote, the replay and this builder's expectation.
 *
 * @example
 * const log = new EventLogBuilder()
 *   .add({ pcr: 8, type: 'EV_IPL', data: 'grub_cmd: linux /vmlinuz\0' })
 *   .add({ pcr: 7, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
 *   .build();
 * await extendIntoTpm(log, tpm.tcti);
 */
export class EventLogBuilder {
  readonly #events: BuiltEvent[] = [];

  add(entry: EventLogEntry): this {
    const type = typeof entry.type === 'number' ? entry.type : TCG_EVENT_TYPES[entry.type];
    const data =
      typeof entry.data === 'string'
        ? new TextEncoder().encode(entry.data)
        : (entry.data ?? new Uint8Array());
    const extended = type !== EV_NO_ACTION;
    const digests =
      entry.digests ??
      (Object.fromEntries(
        BANKS.map((bank) => [
          bank.name,
          extended ? createHash(bank.name).update(data).digest('hex') : '00'.repeat(bank.size),
        ]),
      ) as Record<EventLogBank, string>);
    for (const bank of BANKS) {
      if (!new RegExp(`^[0-9a-f]{${bank.size * 2}}$`).test(digests[bank.name])) {
        throw new Error(`the ${bank.name} digest must be ${bank.size * 2} lower-case hex digits`);
      }
    }
    this.#events.push({ pcr: entry.pcr, type, data, digests, extended });
    return this;
  }

  /** The TCG_EfiStartupLocalityEvent (PFP §10.4.5.3): PCR 0 starts at 0…0L. Log it before PCR 0's first extend. */
  startupLocality(locality: 0 | 3 | 4): this {
    const data = new Uint8Array(17);
    data.set(new TextEncoder().encode('StartupLocality\0'));
    data[16] = locality;
    return this.add({ pcr: 0, type: EV_NO_ACTION, data });
  }

  build(): BuiltEventLog {
    const events = [...this.#events];
    return {
      bytes: concat([specIdRecord(), ...events.map(pcrEvent2)]),
      events,
      expectedPcrs: expectedPcrs(events),
    };
  }
}

/** Extends every extended event of the log into the TPM, in order (`tpm2_pcrextend`, both banks). */
export async function extendIntoTpm(log: BuiltEventLog, tcti: string): Promise<void> {
  const specs = log.events
    .filter((event) => event.extended)
    .map(
      (event) => `${event.pcr}:${BANKS.map((bank) => `${bank.name}=${event.digests[bank.name]}`).join(',')}`,
    );
  for (let i = 0; i < specs.length; i += 16) {
    await run('tpm2_pcrextend', specs.slice(i, i + 16), {
      env: { ...process.env, TPM2TOOLS_TCTI: tcti },
      timeout: 30_000,
    });
  }
}

function expectedPcrs(events: readonly BuiltEvent[]): Record<EventLogBank, ReadonlyMap<number, string>> {
  const result = {} as Record<EventLogBank, ReadonlyMap<number, string>>;
  for (const bank of BANKS) {
    const pcrs = new Map<number, Buffer>();
    for (const event of events) {
      if (!event.extended) {
        const startup = Buffer.from(event.data);
        if (
          event.pcr === 0 &&
          startup.length === 17 &&
          startup.subarray(0, 16).toString('latin1') === 'StartupLocality\0'
        ) {
          pcrs.set(0, Buffer.concat([Buffer.alloc(bank.size - 1), startup.subarray(16)]));
        }
        continue;
      }
      const old = pcrs.get(event.pcr) ?? Buffer.alloc(bank.size);
      pcrs.set(
        event.pcr,
        createHash(bank.name).update(old).update(Buffer.from(event.digests[bank.name], 'hex')).digest(),
      );
    }
    result[bank.name] = new Map(
      [...pcrs].sort(([a], [b]) => a - b).map(([pcr, value]) => [pcr, value.toString('hex')]),
    );
  }
  return result;
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** PFP §10.4.5.1: the first record, in the SHA-1 format, carrying TCG_EfiSpecIDEventStruct. */
function specIdRecord(): Uint8Array {
  const specId = concat([
    Buffer.from('Spec ID Event03\0', 'latin1'),
    u32(0), // platformClass: client
    Uint8Array.of(0, 2, 0, 2), // specVersionMinor 0, specVersionMajor 2, specErrata 0, uintnSize 2 (64-bit)
    u32(BANKS.length),
    ...BANKS.map((bank) => concat([u16(bank.algId), u16(bank.size)])),
    Uint8Array.of(0), // vendorInfoSize
  ]);
  return concat([u32(0), u32(EV_NO_ACTION), new Uint8Array(20), u32(specId.length), specId]);
}

/** PFP §10.2.2 TCG_PCR_EVENT2. */
function pcrEvent2(event: BuiltEvent): Uint8Array {
  return concat([
    u32(event.pcr),
    u32(event.type),
    u32(BANKS.length),
    ...BANKS.map((bank) => concat([u16(bank.algId), Buffer.from(event.digests[bank.name], 'hex')])),
    u32(event.data.length),
    event.data,
  ]);
}
