import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import {
  type GroupInfo,
  parseGroup,
  parseGroupList,
  SECURITY_LEVELS,
  type SecurityLevel,
} from '../fleet-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json, printable } from '../text-output.ts';

const GROUP_HELP = `Usage: palisade group <command> [options]

Device groups: a target security level and the EST enrollment profile of
their devices. Every panel has the group 'default'.

Commands:
  list                                 groups and their profile
  set --name N --level L [--require-channel-binding] [--manual-approval] [--validity-days D]
                                       create or replace a group's profile; a flag left out
                                       is reset to its default (off, 90 days)
      --require-channel-binding        CSRs must carry the TLS channel binding (RFC 7030 §3.5)
      --manual-approval                enrollments wait for 'palisade enrollment approve'
      --validity-days D                device certificate lifetime, 1 to 825 days

Levels: ${SECURITY_LEVELS.join(', ')}.
Options for every command: --json (machine-readable output), -h/--help.
`;

const COMMAND = 'group';
// The panel's ceiling for a device certificate's lifetime.
const MAX_VALIDITY_DAYS = 825;

/** `palisade group …`: device groups through the operator API. */
export async function groupCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === 'list') return listGroups(rest, io);
  if (name === 'set') return setGroup(rest, io);
  if (name !== undefined) throw usageError(`unknown command 'group ${name}'`, COMMAND);
  const values = parseCommandArgs(rest, { ...HELP_OPTION }, COMMAND);
  io.out(GROUP_HELP);
  return values.help === true ? 0 : 2;
}

function helpFor(io: CliIo): number {
  io.out(GROUP_HELP);
  return 0;
}

function profileOf(group: GroupInfo): string[] {
  return [
    group.name,
    group.targetLevel,
    group.requireChannelBinding ? 'required' : 'optional',
    group.manualApproval ? 'manual' : 'automatic',
    `${group.certificateValidityDays} d`,
  ];
}

async function listGroups(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(argv, { json: { type: 'boolean' }, ...HELP_OPTION }, COMMAND);
  if (values.help === true) return helpFor(io);
  const answer = await (await connectToPanel(io)).get('/v1/groups');
  const groups = parseGroupList(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(formatTable(['NAME', 'LEVEL', 'CHANNEL BINDING', 'APPROVAL', 'VALIDITY'], groups.map(profileOf)));
  return 0;
}

function parseLevel(value: string | undefined): SecurityLevel {
  const level = requireOption(value, 'level', COMMAND);
  if (!(SECURITY_LEVELS as readonly string[]).includes(level))
    throw usageError(`--level must be one of ${SECURITY_LEVELS.join(', ')}`, COMMAND);
  return level as SecurityLevel;
}

function parseValidityDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = /^[1-9]\d{0,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days <= MAX_VALIDITY_DAYS))
    throw usageError(`--validity-days must be a whole number from 1 to ${MAX_VALIDITY_DAYS}`, COMMAND);
  return days;
}

async function setGroup(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      name: { type: 'string' },
      level: { type: 'string' },
      'require-channel-binding': { type: 'boolean' },
      'manual-approval': { type: 'boolean' },
      'validity-days': { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    COMMAND,
  );
  if (values.help === true) return helpFor(io);
  const name = requireOption(values.name, 'name', COMMAND);
  const targetLevel = parseLevel(values.level);
  const certificateValidityDays = parseValidityDays(values['validity-days']);
  const answer = await (await connectToPanel(io)).put(`/v1/groups/${encodeURIComponent(name)}`, {
    targetLevel,
    requireChannelBinding: values['require-channel-binding'] === true,
    manualApproval: values['manual-approval'] === true,
    ...(certificateValidityDays === undefined ? {} : { certificateValidityDays }),
  });
  const group = parseGroup(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  const [, level, binding, approval, validity] = profileOf(group);
  io.out(
    `group ${printable(group.name)}: level ${level}, channel binding ${binding}, ` +
      `approval ${approval}, certificates valid ${validity}\n`,
  );
  return 0;
}
