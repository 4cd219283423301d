import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption } from '../command-args.ts';
import {
  type CertificateInfo,
  DEVICE_STATES,
  type DeviceInfo,
  type DeviceState,
  parseDeviceDetail,
  parseDevicePage,
} from '../fleet-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json, printable } from '../text-output.ts';
import { DEVICE_COMMAND as COMMAND, printDeviceHelp as helpFor } from './device-usage.ts';

// The panel's largest page of devices.
const PAGE_SIZE = 1000;

/** How a device proves its factory identity, in a few characters. */
export function idevidOf(device: DeviceInfo): string {
  if (device.idevidSerial !== undefined) return `serial ${device.idevidSerial}`;
  if (device.idevidFingerprint !== undefined) return `sha256 ${device.idevidFingerprint.slice(0, 16)}…`;
  return '-';
}

function parseState(value: string | undefined): DeviceState | undefined {
  if (value === undefined) return undefined;
  if (!(DEVICE_STATES as readonly string[]).includes(value))
    throw usageError(`--state must be one of ${DEVICE_STATES.join(', ')}`, COMMAND);
  return value as DeviceState;
}

/** `palisade device list`: every page of the registry, filtered by group and state. */
export async function listDevices(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { group: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const state = parseState(values.state);
  const client = await connectToPanel(io);
  const devices: DeviceInfo[] = [];
  const raw: unknown[] = [];
  // The panel pages by ID; a full page means there may be more.
  for (let after: string | undefined; ; ) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (values.group !== undefined) query.set('group', values.group);
    if (state !== undefined) query.set('state', state);
    if (after !== undefined) query.set('after', after);
    const page = parseDevicePage(await client.get(`/v1/devices?${query}`));
    devices.push(...page.devices);
    raw.push(...page.raw);
    after = page.devices.at(-1)?.id;
    if (page.devices.length < PAGE_SIZE || after === undefined) break;
  }
  if (values.json === true) {
    io.out(json({ devices: raw }));
    return 0;
  }
  io.out(
    formatTable(
      ['ID', 'GROUP', 'STATE', 'IDEVID', 'MANUFACTURER', 'UPDATED'],
      devices.map((d) => [d.id, d.group, d.state, idevidOf(d), d.manufacturer ?? '-', d.updatedAt]),
    ),
  );
  return 0;
}

function certificateStatus(certificate: CertificateInfo, now: Date): string {
  if (certificate.revokedAt !== undefined)
    return `revoked ${certificate.revokedAt} (${certificate.revocationReason ?? 'unspecified'})`;
  return Date.parse(certificate.notAfter) <= now.getTime() ? 'expired' : 'valid';
}

/** `palisade device show`: one device and its certificate history. */
export async function showDevice(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', COMMAND);
  const answer = await (await connectToPanel(io)).get(`/v1/devices/${encodeURIComponent(id)}`);
  const { device, certificates } = parseDeviceDetail(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  const facts: Array<[string, string]> = [
    ['group', device.group],
    ['state', device.state],
    ['IDevID', idevidOf(device)],
    ['manufacturer', device.manufacturer ?? '-'],
    ['created', device.createdAt],
    ['updated', device.updatedAt],
  ];
  const now = new Date();
  io.out(
    `device ${printable(device.id)}\n` +
      facts.map(([label, value]) => `  ${label.padEnd(13)}${printable(value)}\n`).join('') +
      '\n' +
      (certificates.length === 0
        ? 'no certificates issued\n'
        : formatTable(
            ['SERIAL', 'SUBJECT', 'NOT BEFORE', 'NOT AFTER', 'VIA', 'KEY', 'STATUS'],
            certificates.map((c) => [
              c.serial,
              c.subject,
              c.notBefore,
              c.notAfter,
              c.issuedVia,
              c.keyAlgorithm,
              certificateStatus(c, now),
            ]),
          )),
  );
  return 0;
}
