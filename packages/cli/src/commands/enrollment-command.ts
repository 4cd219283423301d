import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import {
  PENDING_STATUSES,
  type PendingStatus,
  parsePendingEnrollment,
  parsePendingEnrollmentList,
} from '../fleet-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json, printable } from '../text-output.ts';

const ENROLLMENT_HELP = `Usage: palisade enrollment <command> [options]

Enrollments held for manual approval (groups set with --manual-approval).
The device retries the same request and gets its certificate once approved.

Commands:
  list [--status S]       held enrollments, oldest first (all statuses by default)
  approve --id ID         let the device's next retry be answered with a certificate
  reject --id ID          refuse the request; the device must send a new one

Statuses: ${PENDING_STATUSES.join(', ')}.
Options for every command: --json (machine-readable output), -h/--help.
`;

const COMMAND = 'enrollment';

/** `palisade enrollment …`: the manual-approval queue through the operator API. */
export async function enrollmentCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === 'list') return listEnrollments(rest, io);
  if (name === 'approve') return decide(rest, io, 'approve');
  if (name === 'reject') return decide(rest, io, 'reject');
  if (name !== undefined) throw usageError(`unknown command 'enrollment ${name}'`, COMMAND);
  const values = parseCommandArgs(rest, { ...HELP_OPTION }, COMMAND);
  io.out(ENROLLMENT_HELP);
  return values.help === true ? 0 : 2;
}

function helpFor(io: CliIo): number {
  io.out(ENROLLMENT_HELP);
  return 0;
}

function parseStatus(value: string | undefined): PendingStatus | undefined {
  if (value === undefined) return undefined;
  if (!(PENDING_STATUSES as readonly string[]).includes(value))
    throw usageError(`--status must be one of ${PENDING_STATUSES.join(', ')}`, COMMAND);
  return value as PendingStatus;
}

async function listEnrollments(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { status: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const status = parseStatus(values.status);
  const answer = await (await connectToPanel(io)).get(
    `/v1/enrollments${status === undefined ? '' : `?${new URLSearchParams({ status })}`}`,
  );
  const enrollments = parsePendingEnrollmentList(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    formatTable(
      ['ID', 'DEVICE', 'OPERATION', 'STATUS', 'REQUESTED', 'DECIDED BY', 'CSR SHA-256'],
      enrollments.map((e) => [
        e.id,
        e.deviceId,
        e.operation,
        e.status,
        e.createdAt,
        e.decidedBy ?? '-',
        e.csrSha256,
      ]),
    ),
  );
  return 0;
}

async function decide(argv: readonly string[], io: CliIo, verb: 'approve' | 'reject'): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', COMMAND);
  const answer = await (await connectToPanel(io)).post(`/v1/enrollments/${encodeURIComponent(id)}/${verb}`);
  const enrollment = parsePendingEnrollment(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    verb === 'approve'
      ? `approved enrollment ${printable(enrollment.id)} of device ${printable(enrollment.deviceId)}: ` +
          'its next retry gets the certificate\n'
      : `rejected enrollment ${printable(enrollment.id)} of device ${printable(enrollment.deviceId)}\n`,
  );
  return 0;
}
