import { join } from 'node:path';
import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import { parseManufacturer, parseManufacturerList } from '../fleet-answers.ts';
import {
  CERTIFICATE_FILE_MODE,
  createManufacturerCa,
  IDEVID_CHAIN_PEM,
  IDEVID_KEY,
  IDEVID_PEM,
  issueIdevid,
  KEY_FILE_MODE,
  MANUFACTURER_CA_KEY,
  MANUFACTURER_CA_PEM,
  manufacturerNameOf,
  parseDeviceSerial,
  parseManufacturerName,
  readManufacturerCa,
  sha256Fingerprint,
  subjectText,
  toPem,
  writeNewFiles,
} from '../lab-ca/index.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json, printable } from '../text-output.ts';
import { readUserFile } from '../user-file.ts';
import { caInitCommand } from './ca-init-command.ts';
import { caRotateCommand } from './ca-rotate-command.ts';

const CA_HELP = `Usage: palisade ca <command> [options]

The panel's own CA, offline (with this data directory's panel stopped):
  init --data-dir DIR [--offline-root FILE]
                     create the root and issuing CA; with --offline-root the root key
                     goes to FILE (PALISADE_ROOT_KEY_PASSPHRASE), never into the panel
  rotate-issuing --data-dir DIR [--validity-years N] [--root-key FILE]
                     a new issuing CA signed by the root; the previous one is retired
                     but honoured until it expires; restart every panel afterwards

Manufacturer CAs whose IEEE 802.1AR IDevIDs may enroll devices:
  manufacturer trust --name N --cert FILE [--auto-claim] [--group G]
                     trust a manufacturer CA certificate (PEM or DER); with --auto-claim
                     its devices enroll without 'palisade device claim', into --group
                     (default 'default')
  manufacturer list  trusted manufacturer CAs

Lab and demo tooling, offline (no panel); a real manufacturer keeps its CA key in an HSM:
  manufacturer init --name NAME --out DIR
                     a manufacturer CA (ECDSA P-256, 10 years):
                     DIR/${MANUFACTURER_CA_PEM} and DIR/${MANUFACTURER_CA_KEY}
  issue-idevid --ca-dir DIR --serial S --out DIR2 [--days D]
                     an IDevID for the device with serial number S (subject CN and
                     serialNumber), signed by the CA in DIR: DIR2/${IDEVID_PEM},
                     DIR2/${IDEVID_KEY} and DIR2/${IDEVID_CHAIN_PEM} (IDevID + CA); without
                     --days it has no well-defined expiration (99991231235959Z)

Existing files are never overwritten; private keys are written with mode 0600.
Options for every command: --json (machine-readable output), -h/--help.
`;

const COMMAND = 'ca';
const MAX_IDEVID_DAYS = 36_500;

type Subcommand = (argv: readonly string[], io: CliIo) => Promise<number>;

const MANUFACTURER_SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  trust: trustManufacturer,
  list: listManufacturers,
  init: initManufacturerCa,
};

/** `palisade ca …`: manufacturer trust through the operator API, and offline lab CA tooling. */
export async function caCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === 'issue-idevid') return issueIdevidCommand(rest, io);
  if (name === 'init') return caInitCommand(rest, io);
  if (name === 'rotate-issuing') return caRotateCommand(rest, io);
  if (name === 'manufacturer') {
    const sub = splitSubcommand(rest);
    const subcommand = sub.name === undefined ? undefined : MANUFACTURER_SUBCOMMANDS[sub.name];
    if (subcommand !== undefined) return subcommand(sub.rest, io);
    if (sub.name !== undefined) throw usageError(`unknown command 'ca manufacturer ${sub.name}'`, COMMAND);
    return helpOrUsage(sub.rest, io);
  }
  if (name !== undefined) throw usageError(`unknown command 'ca ${name}'`, COMMAND);
  return helpOrUsage(rest, io);
}

function helpOrUsage(argv: readonly string[], io: CliIo): number {
  const values = parseCommandArgs(argv, { ...HELP_OPTION }, COMMAND);
  io.out(CA_HELP);
  return values.help === true ? 0 : 2;
}

function helpFor(io: CliIo): number {
  io.out(CA_HELP);
  return 0;
}

/** The panel takes PEM; a DER file (as some manufacturers ship them) is wrapped here. */
function certificatePemOf(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) return text;
  const base64 =
    bytes
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

async function trustManufacturer(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      name: { type: 'string' },
      cert: { type: 'string' },
      'auto-claim': { type: 'boolean' },
      group: { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const name = requireOption(values.name, 'name', COMMAND);
  const certificatePem = certificatePemOf(
    await readUserFile(requireOption(values.cert, 'cert', COMMAND), 'the manufacturer CA certificate'),
  );
  const answer = await (await connectToPanel(io)).post('/v1/manufacturers', {
    name,
    certificatePem,
    autoClaim: values['auto-claim'] === true,
    ...(values.group === undefined ? {} : { defaultGroup: values.group }),
  });
  const manufacturer = parseManufacturer(answer);
  io.out(
    values.json === true
      ? json(answer)
      : `trusted manufacturer ${printable(manufacturer.name)} (CA SHA-256 ${printable(manufacturer.fingerprint)})\n` +
          (manufacturer.autoClaim
            ? `Its devices enroll with their IDevID without a claim, into group ${printable(manufacturer.defaultGroup)}.\n`
            : 'Claim each device before it enrolls: palisade device claim --idevid-serial <serial>.\n'),
  );
  return 0;
}

async function listManufacturers(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(argv, { json: { type: 'boolean' }, ...HELP_OPTION }, COMMAND);
  if (values.help === true) return helpFor(io);
  const answer = await (await connectToPanel(io)).get('/v1/manufacturers');
  const manufacturers = parseManufacturerList(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    formatTable(
      ['NAME', 'AUTO-CLAIM', 'GROUP', 'TRUSTED SINCE', 'CA SHA-256'],
      manufacturers.map((m) => [
        m.name,
        m.autoClaim ? 'yes' : 'no',
        m.defaultGroup,
        m.createdAt,
        m.fingerprint,
      ]),
    ),
  );
  return 0;
}

async function initManufacturerCa(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { name: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const name = parseManufacturerName(requireOption(values.name, 'name', COMMAND));
  const out = requireOption(values.out, 'out', COMMAND);
  const ca = await createManufacturerCa(name);
  const certificatePath = join(out, MANUFACTURER_CA_PEM);
  const keyPath = join(out, MANUFACTURER_CA_KEY);
  await writeNewFiles(out, [
    { name: MANUFACTURER_CA_PEM, content: ca.certificatePem, mode: CERTIFICATE_FILE_MODE },
    { name: MANUFACTURER_CA_KEY, content: ca.privateKeyPem, mode: KEY_FILE_MODE },
  ]);
  const facts = {
    certificate: certificatePath,
    privateKey: keyPath,
    subject: ca.certificate.subject,
    notAfter: ca.certificate.notAfter.toISOString(),
    fingerprint: sha256Fingerprint(ca.certificate),
  };
  io.out(
    values.json === true
      ? json(facts)
      : `created manufacturer CA ${printable(facts.subject)} (valid until ${facts.notAfter})\n` +
          `  certificate  ${printable(certificatePath)}\n` +
          `  private key  ${printable(keyPath)} (mode 0600; for labs and demos only)\n` +
          `  SHA-256      ${facts.fingerprint}\n` +
          `Trust it on a panel: palisade ca manufacturer trust --name ${shellQuoted(name)} --cert ${printable(certificatePath)}\n`,
  );
  return 0;
}

/** POSIX single quotes, so the printed command can be pasted as is. */
function shellQuoted(value: string): string {
  return `'${printable(value).replaceAll("'", "'\\''")}'`;
}

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = /^[1-9]\d{0,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days <= MAX_IDEVID_DAYS))
    throw usageError(`--days must be a whole number from 1 to ${MAX_IDEVID_DAYS}`, COMMAND);
  return days;
}

async function issueIdevidCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      'ca-dir': { type: 'string' },
      serial: { type: 'string' },
      out: { type: 'string' },
      days: { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const caDir = requireOption(values['ca-dir'], 'ca-dir', COMMAND);
  const serial = parseDeviceSerial(requireOption(values.serial, 'serial', COMMAND));
  const out = requireOption(values.out, 'out', COMMAND);
  const validityDays = parseDays(values.days);
  const ca = await readManufacturerCa(caDir);
  const idevid = await issueIdevid(ca, { serial, validityDays });
  const certificatePath = join(out, IDEVID_PEM);
  const keyPath = join(out, IDEVID_KEY);
  const chainPath = join(out, IDEVID_CHAIN_PEM);
  await writeNewFiles(out, [
    { name: IDEVID_PEM, content: idevid.certificatePem, mode: CERTIFICATE_FILE_MODE },
    { name: IDEVID_KEY, content: idevid.privateKeyPem, mode: KEY_FILE_MODE },
    {
      name: IDEVID_CHAIN_PEM,
      content: idevid.certificatePem + toPem(ca.certificate),
      mode: CERTIFICATE_FILE_MODE,
    },
  ]);
  const facts = {
    certificate: certificatePath,
    privateKey: keyPath,
    chain: chainPath,
    manufacturer: manufacturerNameOf(ca.certificate),
    subject: subjectText(idevid.certificate),
    serialNumber: idevid.certificate.serialNumber,
    notAfter: idevid.certificate.notAfter.toISOString(),
    fingerprint: sha256Fingerprint(idevid.certificate),
  };
  io.out(
    values.json === true
      ? json(facts)
      : `issued IDevID ${printable(facts.subject)} (valid until ${facts.notAfter})\n` +
          `  certificate  ${printable(certificatePath)}\n` +
          `  private key  ${printable(keyPath)} (mode 0600)\n` +
          `  chain        ${printable(chainPath)}\n` +
          `  SHA-256      ${facts.fingerprint}\n` +
          `Claim the device on a panel: palisade device claim --idevid-serial ${serial}\n`,
  );
  return 0;
}
