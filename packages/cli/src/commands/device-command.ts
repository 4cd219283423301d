import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import { parseDevice, parseEnrollmentToken } from '../fleet-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { json, printable } from '../text-output.ts';
import { idevidOf, listDevices, showDevice } from './device-listing.ts';
import { DEVICE_COMMAND as COMMAND, printDeviceHelp as helpFor, REVOCATION_REASONS } from './device-usage.ts';
import { parseTtl } from './token-command.ts';

// The panel's bounds for an enrollment token's lifetime.
const MIN_TOKEN_TTL_SECONDS = 60;
const MAX_TOKEN_TTL_SECONDS = 30 * 86_400;

type Subcommand = (argv: readonly string[], io: CliIo) => Promise<number>;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  create: createDevice,
  'enroll-token': enrollmentToken,
  claim: claimDevice,
  list: listDevices,
  show: showDevice,
  revoke: revokeDevice,
  decommission: decommissionDevice,
};

/** `palisade device …`: the device registry through the operator API. */
export async function deviceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === undefined) {
    const values = parseCommandArgs(rest, { ...HELP_OPTION }, COMMAND);
    helpFor(io);
    return values.help === true ? 0 : 2;
  }
  const subcommand = SUBCOMMANDS[name];
  if (subcommand === undefined) throw usageError(`unknown command 'device ${name}'`, COMMAND);
  return subcommand(rest, io);
}

function devicePath(id: string, action = ''): string {
  return `/v1/devices/${encodeURIComponent(id)}${action}`;
}

async function createDevice(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, group: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', COMMAND);
  const answer = await (await connectToPanel(io)).post('/v1/devices', {
    id,
    ...(values.group === undefined ? {} : { group: values.group }),
  });
  const device = parseDevice(answer);
  io.out(
    values.json === true
      ? json(answer)
      : `created device ${printable(device.id)} (group ${printable(device.group)}); ` +
          `give it an enrollment token: palisade device enroll-token --id ${printable(device.id)}\n`,
  );
  return 0;
}

function enrollmentTtl(value: string): number {
  let seconds: number;
  try {
    seconds = parseTtl(value);
  } catch {
    throw usageError(`--ttl ${value} is not a duration like 30m, 24h or 7d`, COMMAND);
  }
  if (seconds < MIN_TOKEN_TTL_SECONDS || seconds > MAX_TOKEN_TTL_SECONDS)
    throw usageError('--ttl must be between 1m and 30d', COMMAND);
  return seconds;
}

async function enrollmentToken(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', COMMAND);
  const ttlSeconds = values.ttl === undefined ? undefined : enrollmentTtl(values.ttl);
  const answer = await (await connectToPanel(io)).post(
    devicePath(id, '/enrollment-token'),
    ttlSeconds === undefined ? {} : { ttlSeconds },
  );
  const issued = parseEnrollmentToken(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    `enrollment token for ${printable(id)} (expires ${printable(issued.expiresAt)})\n` +
      `token: ${printable(issued.token)}\n` +
      'It is shown only this once and works once: the device sends it to /.well-known/est/simpleenroll ' +
      `on the panel's device API, as HTTP Basic (user ${printable(id)}, password the token) or as a Bearer token.\n`,
  );
  return 0;
}

/** The IDevID's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it, or plain hex. */
function parseFingerprint(value: string): string {
  const hex = value.replaceAll(':', '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex) || !/^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2})*$/.test(value))
    throw usageError(
      '--idevid-fingerprint must be a SHA-256 fingerprint (64 hex digits, colons allowed), ' +
        "as printed by 'openssl x509 -noout -fingerprint -sha256'",
      COMMAND,
    );
  return hex.toLowerCase();
}

async function claimDevice(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      'idevid-serial': { type: 'string' },
      'idevid-fingerprint': { type: 'string' },
      id: { type: 'string' },
      group: { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const serial = values['idevid-serial'];
  const fingerprint = values['idevid-fingerprint'];
  if ((serial === undefined) === (fingerprint === undefined))
    throw usageError('give exactly one of --idevid-serial and --idevid-fingerprint', COMMAND);
  const claim = {
    ...(values.id === undefined ? {} : { id: values.id }),
    ...(values.group === undefined ? {} : { group: values.group }),
    ...(serial === undefined ? {} : { idevidSerial: serial }),
    ...(fingerprint === undefined ? {} : { idevidFingerprint: parseFingerprint(fingerprint) }),
  };
  const answer = await (await connectToPanel(io)).post('/v1/devices/claims', claim);
  const device = parseDevice(answer);
  io.out(
    values.json === true
      ? json(answer)
      : `claimed device ${printable(device.id)} (group ${printable(device.group)}): ` +
          `it may now enroll with its IDevID (${printable(idevidOf(device))})\n`,
  );
  return 0;
}

async function revokeDevice(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', COMMAND);
  const reason = values.reason ?? 'unspecified';
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason))
    throw usageError(`--reason must be one of ${REVOCATION_REASONS.join(', ')}`, COMMAND);
  const answer = await (await connectToPanel(io)).post(devicePath(id, '/revoke'), { reason });
  const device = parseDevice(answer);
  io.out(
    values.json === true
      ? json(answer)
      : `revoked device ${printable(device.id)} (${reason}): its certificates are revoked and its connections closed\n`,
  );
  return 0;
}

async function decommissionDevice(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', COMMAND);
  const answer = await (await connectToPanel(io)).post(devicePath(id, '/decommission'));
  const device = parseDevice(answer);
  io.out(
    values.json === true
      ? json(answer)
      : `decommissioned device ${printable(device.id)}: its certificates are revoked ` +
          '(cessationOfOperation) and it can never enroll again\n',
  );
  return 0;
}
