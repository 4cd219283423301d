import { isOperatorRole, OPERATOR_ROLES, type OperatorRole } from '@palisade/core';
import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import {
  type OperatorInfo,
  parseCreatedOperator,
  parseOneTimePassword,
  parseOperator,
  parseOperatorList,
} from '../panel-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { PasswordSource } from '../password-input.ts';
import { formatTable, json } from '../text-output.ts';
import { offlineResetPassword } from './offline-reset.ts';
import { tokenCommand } from './token-command.ts';

const OPERATOR_HELP = `Usage: palisade operator <command> [options]

Commands:
  list                                       list operator accounts
  create --username U --role R [--password-stdin]
                                             create an operator; without a password the panel
                                             generates a one-time password, shown once
  disable --username U                       disable an operator and end their sessions
  enable --username U                        enable a disabled operator
  reset-password --username U                replace the password with a one-time password
  reset-password --data-dir D --username U [--database-url URL]
                                             offline recovery on the panel's host, with the
                                             panel stopped (e.g. the last admin is locked out)
  token list | create | revoke               API tokens (palisade operator token --help)

Roles: ${OPERATOR_ROLES.join(', ')}.
Options for every command: --json (machine-readable output), -h/--help.
The panel and credential come from 'palisade login', or PALISADE_PANEL,
PALISADE_TOKEN and PALISADE_CA_FILE.
`;

type Subcommand = (argv: readonly string[], io: CliIo) => Promise<number>;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  list: listOperators,
  create: createOperator,
  disable: (argv, io) => setDisabled(argv, io, true),
  enable: (argv, io) => setDisabled(argv, io, false),
  'reset-password': resetPassword,
  token: tokenCommand,
};

/** `palisade operator …`: operator accounts and API tokens through the operator API. */
export async function operatorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === undefined) {
    const values = parseCommandArgs(rest, { ...HELP_OPTION }, 'operator');
    io.out(OPERATOR_HELP);
    return values.help === true ? 0 : 2;
  }
  const subcommand = SUBCOMMANDS[name];
  if (subcommand === undefined) throw usageError(`unknown command 'operator ${name}'`, 'operator');
  return subcommand(rest, io);
}

function parseRole(value: string | undefined, command: string): OperatorRole {
  const role = requireOption(value, 'role', command);
  if (!isOperatorRole(role)) throw usageError(`--role must be one of ${OPERATOR_ROLES.join(', ')}`, command);
  return role;
}

function helpFor(io: CliIo): number {
  io.out(OPERATOR_HELP);
  return 0;
}

async function listOperators(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(argv, { json: { type: 'boolean' }, ...HELP_OPTION }, 'operator');
  if (values.help === true) return helpFor(io);
  const answer = await (await connectToPanel(io)).get('/v1/operators');
  const operators = parseOperatorList(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    formatTable(
      ['USERNAME', 'ROLE', 'STATUS', 'CREATED'],
      operators.map((o) => [o.username, o.role, statusOf(o), o.createdAt]),
    ),
  );
  return 0;
}

function statusOf(operator: OperatorInfo): string {
  if (operator.disabled) return 'disabled';
  return operator.mustChangePassword ? 'must change password' : 'active';
}

async function createOperator(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      username: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    'operator',
  );
  if (values.help === true) return helpFor(io);
  const username = requireOption(values.username, 'username', 'operator');
  const role = parseRole(values.role, 'operator');
  const password =
    values['password-stdin'] === true ? await new PasswordSource(io, true).current() : undefined;
  const client = await connectToPanel(io);
  const answer = await client.post('/v1/operators', { username, role, ...(password ? { password } : {}) });
  const created = parseCreatedOperator(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(`created operator ${created.operator.username} (role ${created.operator.role})\n`);
  if (created.oneTimePassword !== undefined) {
    io.out(
      `one-time password: ${created.oneTimePassword}\n` +
        `It is shown only this once; ${created.operator.username} must change it at the first login.\n`,
    );
  }
  return 0;
}

async function setDisabled(argv: readonly string[], io: CliIo, disabled: boolean): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { username: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    'operator',
  );
  if (values.help === true) return helpFor(io);
  const username = requireOption(values.username, 'username', 'operator');
  const verb = disabled ? 'disable' : 'enable';
  const answer = await (await connectToPanel(io)).post(
    `/v1/operators/${encodeURIComponent(username)}/${verb}`,
  );
  const operator = parseOperator(answer);
  io.out(values.json === true ? json(answer) : `${verb}d operator ${operator.username}\n`);
  return 0;
}

async function resetPassword(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      username: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    'operator',
  );
  if (values.help === true) return helpFor(io);
  const username = requireOption(values.username, 'username', 'operator');
  let oneTimePassword: string;
  if (values['data-dir'] !== undefined) {
    oneTimePassword = await offlineResetPassword(
      { dataDir: values['data-dir'], username, databaseUrl: values['database-url'] ?? io.env.DATABASE_URL },
      io,
    );
  } else {
    if (values['database-url'] !== undefined)
      throw usageError('--database-url needs --data-dir (offline reset)', 'operator');
    const answer = await (await connectToPanel(io)).post(
      `/v1/operators/${encodeURIComponent(username)}/reset-password`,
    );
    oneTimePassword = parseOneTimePassword(answer);
  }
  if (values.json === true) {
    io.out(json({ username, oneTimePassword }));
    return 0;
  }
  io.out(
    `one-time password for ${username}: ${oneTimePassword}\n` +
      `It is shown only this once; ${username} must change it at the next login. Their sessions have ended.\n`,
  );
  return 0;
}
