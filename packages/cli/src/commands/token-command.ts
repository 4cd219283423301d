import { isOperatorRole, OPERATOR_ROLES } from '@palisade/core';
import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption, splitSubcommand } from '../command-args.ts';
import { parseCreatedToken, parseTokenInfo, parseTokenList } from '../panel-answers.ts';
import { connectToPanel } from '../panel-connection.ts';
import { formatTable, json } from '../text-output.ts';

const TOKEN_HELP = `Usage: palisade operator token <command> [options]

API tokens for automation. A token acts with its role, never more than its
owner's; send it as PALISADE_TOKEN (with PALISADE_PANEL and PALISADE_CA_FILE).

Commands:
  list                                  your tokens (every token for admins)
  create --name N --role R [--ttl 90d]  create a token; the secret is printed once.
                                        --ttl takes s, m, h or d (default 90d, at most 366d)
  revoke --id ID                        revoke a token

Roles: ${OPERATOR_ROLES.join(', ')}.
Options for every command: --json (machine-readable output), -h/--help.
`;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90d` → 7776000. A bare number is seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value);
  if (!match)
    throw usageError(`--ttl ${value} is not a duration like 3600s, 90m, 12h or 90d`, 'operator token');
  return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
}

type Subcommand = (argv: readonly string[], io: CliIo) => Promise<number>;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  list: listTokens,
  create: createToken,
  revoke: revokeToken,
};

/** `palisade operator token …` */
export async function tokenCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === undefined) {
    const values = parseCommandArgs(rest, { ...HELP_OPTION }, 'operator token');
    io.out(TOKEN_HELP);
    return values.help === true ? 0 : 2;
  }
  const subcommand = SUBCOMMANDS[name];
  if (subcommand === undefined)
    throw usageError(`unknown command 'operator token ${name}'`, 'operator token');
  return subcommand(rest, io);
}

function helpFor(io: CliIo): number {
  io.out(TOKEN_HELP);
  return 0;
}

async function listTokens(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(argv, { json: { type: 'boolean' }, ...HELP_OPTION }, 'operator token');
  if (values.help === true) return helpFor(io);
  const answer = await (await connectToPanel(io)).get('/v1/tokens');
  const tokens = parseTokenList(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    formatTable(
      ['ID', 'NAME', 'ROLE', 'OWNER', 'STATUS', 'EXPIRES', 'LAST USED'],
      tokens.map((t) => [
        t.id,
        t.name,
        t.role,
        t.owner,
        t.revoked ? 'revoked' : 'active',
        t.expiresAt,
        t.lastUsedAt ?? 'never',
      ]),
    ),
  );
  return 0;
}

async function createToken(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      name: { type: 'string' },
      role: { type: 'string' },
      ttl: { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    'operator token',
  );
  if (values.help === true) return helpFor(io);
  const name = requireOption(values.name, 'name', 'operator token');
  const role = requireOption(values.role, 'role', 'operator token');
  if (!isOperatorRole(role))
    throw usageError(`--role must be one of ${OPERATOR_ROLES.join(', ')}`, 'operator token');
  const ttlSeconds = values.ttl === undefined ? undefined : parseTtl(values.ttl);
  const answer = await (await connectToPanel(io)).post('/v1/tokens', {
    name,
    role,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  });
  const created = parseCreatedToken(answer);
  if (values.json === true) {
    io.out(json(answer));
    return 0;
  }
  io.out(
    `created token ${created.info.name} (id ${created.info.id}, role ${created.info.role}, ` +
      `expires ${created.info.expiresAt})\n` +
      `token: ${created.token}\n` +
      'It is shown only this once; store it in your secret store.\n',
  );
  return 0;
}

async function revokeToken(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    { id: { type: 'string' }, json: { type: 'boolean' }, ...HELP_OPTION },
    'operator token',
  );
  if (values.help === true) return helpFor(io);
  const id = requireOption(values.id, 'id', 'operator token');
  const answer = await (await connectToPanel(io)).delete(`/v1/tokens/${encodeURIComponent(id)}`);
  const info = parseTokenInfo(answer);
  io.out(values.json === true ? json(answer) : `revoked token ${info.name} (id ${info.id})\n`);
  return 0;
}
