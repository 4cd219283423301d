import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, splitSubcommand } from '../command-args.ts';
import { parseAuditPage, parseAuditVerification } from '../panel-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json, printable } from '../text-output.ts';

const AUDIT_HELP = `Usage: palisade audit <command> [options]

Commands:
  list [--limit N] [--actor A] [--action X] [--before SEQ] [--json]
          audit entries, newest first (default 50, at most 1000); page with --before
          e.g. --actor operator:alice --action operator.create
  verify [--json]
          recompute the hash chain: exit 0 when intact, 1 at the first broken entry

Options for every command: -h/--help.
`;

// Why a link breaks, in the words of the person who has to investigate it.
const BREAK_MEANING: Readonly<Record<string, string>> = {
  HASH_MISMATCH: 'the entry was changed after it was written',
  PREVIOUS_HASH_MISMATCH: 'an entry before it was removed, replaced or reordered',
  SEQUENCE_GAP: 'entries are missing',
};

/** `palisade audit …`: reads and verifies the panel's hash-chained audit log. */
export async function auditCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === 'list') return listAudit(rest, io);
  if (name === 'verify') return verifyAudit(rest, io);
  if (name !== undefined) throw usageError(`unknown command 'audit ${name}'`, 'audit');
  const values = parseCommandArgs(rest, { ...HELP_OPTION }, 'audit');
  io.out(AUDIT_HELP);
  return values.help === true ? 0 : 2;
}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(value)) throw usageError(`--${flag} must be a positive integer`, 'audit');
  return Number(value);
}

async function listAudit(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      limit: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      before: { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    'audit',
  );
  if (values.help === true) {
    io.out(AUDIT_HELP);
    return 0;
  }
  const query = new URLSearchParams();
  const limit = positiveInteger(values.limit, 'limit');
  const before = positiveInteger(values.before, 'before');
  if (limit !== undefined) query.set('limit', String(limit));
  if (before !== undefined) query.set('before', String(before));
  if (values.actor !== undefined) query.set('actor', values.actor);
  if (values.action !== undefined) query.set('action', values.action);
  const search = query.size > 0 ? `?${query}` : '';
  const answer = await (await connectToPanel(io)).get(`/v1/audit${search}`);
  const page = parseAuditPage(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    formatTable(
      ['SEQ', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'SOURCE'],
      page.entries.map((e) => [
        String(e.seq),
        e.at,
        e.actor,
        e.action,
        e.target ?? '-',
        e.outcome,
        e.source ?? '-',
      ]),
    ),
  );
  if (page.nextBefore !== undefined) io.err(`(more entries: --before ${page.nextBefore})\n`);
  return 0;
}

async function verifyAudit(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(argv, { json: { type: 'boolean' }, ...HELP_OPTION }, 'audit');
  if (values.help === true) {
    io.out(AUDIT_HELP);
    return 0;
  }
  const answer = await (await connectToPanel(io)).get('/v1/audit/verify');
  const report = parseAuditVerification(answer);
  if (values.json === true) io.out(json(answer));
  else if (report.firstBreak === undefined) io.out(`audit chain intact: ${report.checked} entries\n`);
  else {
    const { seq, reason, expectedSeq } = report.firstBreak;
    const meaning = BREAK_MEANING[reason];
    io.out(
      `audit chain broken at entry ${seq}: ${printable(reason)}` +
        `${meaning === undefined ? '' : ` (${meaning}${expectedSeq === undefined ? '' : `; expected entry ${expectedSeq}`})`}\n` +
        `${report.checked} entries before it are intact.\n`,
    );
  }
  return report.ok ? 0 : 1;
}
