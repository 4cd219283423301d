import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { REPORT_FORMATS, type ReportFormat } from '@palisade/server';
import { CliError, usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import type { PanelDownload } from '../panel-client.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json, printable } from '../text-output.ts';

const COMMAND = 'compliance';
const HELP = `Usage: palisade compliance <command> [options]

Commands:
  report --group G [--format pdf|html|csv|json] [--out FILE] [--force]
          a report of the group, evaluated now and signed by the panel (default format: pdf);
          writes FILE (default: the name the panel gives it, here) and its detached CMS
          signature FILE.p7s; --out - writes a text report to standard output, unsigned
  device --id ID [--json]
          the device control by control: status and reason, achieved vs target level, gaps

Options for every command: -h/--help.
`;

const GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SIGNATURE_PATH = /^\/v1\/compliance\/reports\/[0-9a-f-]{36}\/signature$/;
const SUGGESTED_NAME = /filename="([A-Za-z0-9._-]{1,200})"/;

/** `palisade compliance …`: compliance of devices and signed reports through the operator API. */
export async function complianceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === 'report') return report(rest, io);
  if (name === 'device') return device(rest, io);
  if (name !== undefined) throw usageError(`unknown command 'compliance ${name}'`, COMMAND);
  const values = parseCommandArgs(rest, { ...HELP_OPTION }, COMMAND);
  io.out(HELP);
  return values.help === true ? 0 : 2;
}

function header(download: PanelDownload, name: string): string | undefined {
  const value = download.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Writes a new file; never replaces one unless asked to. */
async function writeNew(path: string, bytes: Buffer, force: boolean): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, force ? 'w' : 'wx', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError('FILE_EXISTS', `refusing to overwrite ${path}; pass --force`);
    throw new CliError('FILE_UNWRITABLE', `cannot write ${path}: ${code ?? 'unwritable'}`);
  }
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}

async function report(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      group: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      ...HELP_OPTION,
    },
    COMMAND,
  );
  if (values.help === true) {
    io.out(HELP);
    return 0;
  }
  const group = requireOption(values.group, 'group', COMMAND);
  if (!GROUP_NAME.test(group)) throw usageError(`--group ${printable(group)} is not a group name`, COMMAND);
  const format = (values.format ?? 'pdf') as ReportFormat;
  if (!REPORT_FORMATS.includes(format))
    throw usageError(`--format must be one of ${REPORT_FORMATS.join(', ')}`, COMMAND);
  if (values.out === '-' && format === 'pdf')
    throw usageError('a PDF report goes to a file: --out FILE', COMMAND);
  const client = await connectToPanel(io);
  const content = await client.download(
    `/v1/compliance/report?${new URLSearchParams({ group, format }).toString()}`,
  );
  if (values.out === '-') {
    io.out(content.body.toString('utf8'));
    return 0;
  }
  const signaturePath = header(content, 'x-palisade-report-signature');
  if (signaturePath === undefined || !SIGNATURE_PATH.test(signaturePath))
    throw new CliError('PANEL_RESPONSE_INVALID', 'the panel did not say where the report signature is');
  const signature = await client.download(signaturePath);
  const suggested = SUGGESTED_NAME.exec(header(content, 'content-disposition') ?? '')?.[1];
  const path = values.out ?? basename(suggested ?? `palisade-compliance-${group}.${format}`);
  await writeNew(path, content.body, values.force === true);
  await writeNew(`${path}.p7s`, signature.body, values.force === true);
  io.out(
    `wrote ${path} (${content.body.length} bytes) and its signature ${path}.p7s\n` +
      `report ${printable(header(content, 'x-palisade-report-id') ?? '')}; verify it with:\n` +
      `  openssl cms -verify -binary -inform DER -in ${path}.p7s -content ${path} -CAfile root-ca.pem -out /dev/null\n`,
  );
  return 0;
}

interface ControlLine {
  readonly control: string;
  readonly status: string;
  readonly title: string;
  readonly reason: string;
  readonly remedy?: string;
}

/** The parts of GET /v1/compliance/devices/:id the table shows; anything else is not a panel answer. */
function parseDeviceView(answer: unknown): {
  deviceId: string;
  group: string;
  targetLevel: string;
  achievedLevel: string;
  controls: ControlLine[];
  gaps: ControlLine[];
} {
  const value = answer as Record<string, unknown> | null;
  const lines = (list: unknown): ControlLine[] | undefined =>
    Array.isArray(list) &&
    list.every(
      (c: Record<string, unknown> | null) =>
        c !== null &&
        typeof c.control === 'string' &&
        typeof c.status === 'string' &&
        typeof c.title === 'string' &&
        typeof c.reason === 'string',
    )
      ? (list as ControlLine[])
      : undefined;
  const controls = lines(value?.controls);
  const gaps = lines(value?.gaps);
  if (
    !value ||
    typeof value.deviceId !== 'string' ||
    typeof value.group !== 'string' ||
    typeof value.targetLevel !== 'string' ||
    typeof value.achievedLevel !== 'string' ||
    !controls ||
    !gaps
  )
    throw new CliError(
      'PANEL_RESPONSE_INVALID',
      'the panel answered something else than a device compliance',
    );
  return {
    deviceId: value.deviceId,
    group: value.group,
    targetLevel: value.targetLevel,
    achievedLevel: value.achievedLevel,
    controls,
    gaps,
  };
}

async function device(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) {
    io.out(HELP);
    return 0;
  }
  const id = requireOption(values.id, 'id', COMMAND);
  const answer = await (await connectToPanel(io)).get(`/v1/compliance/devices/${encodeURIComponent(id)}`);
  const view = parseDeviceView(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    `${printable(view.deviceId)} (group ${printable(view.group)}): achieves ${printable(view.achievedLevel)}, target ${printable(view.targetLevel)}\n\n`,
  );
  io.out(
    formatTable(
      ['CONTROL', 'STATUS', 'TITLE', 'REASON'],
      view.controls.map((c) => [c.control, c.status, c.title, c.reason]),
    ),
  );
  if (view.gaps.length > 0) {
    io.out(`\nGaps to ${printable(view.targetLevel)}:\n`);
    for (const gap of view.gaps) io.out(`  ${printable(gap.control)} ${printable(gap.remedy ?? '')}\n`);
  }
  return 0;
}
