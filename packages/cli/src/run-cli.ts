import { PalisadeError } from '@palisade/core';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { agentCommand } from './commands/agent-command.ts';
import { auditCommand } from './commands/audit-command.ts';
import { caCommand } from './commands/ca-command.ts';
import { deviceCommand } from './commands/device-command.ts';
import { enrollmentCommand } from './commands/enrollment-command.ts';
import { groupCommand } from './commands/group-command.ts';
import { loginCommand, logoutCommand } from './commands/login-command.ts';
import { operatorCommand } from './commands/operator-command.ts';
import { serverCommand } from './commands/server-command.ts';
import { simulateCommand } from './commands/simulate-command.ts';

const USAGE = `Usage: palisade <command> [options]

Commands:
  server               run the panel (palisade server --help)
  agent                run the endpoint agent (palisade agent --help)
  login                log in to a panel and keep the session token
  logout               end the stored session
  operator             manage operator accounts and API tokens
  audit                read and verify the audit log
  device               register, enroll, list, revoke and decommission devices
  group                device groups: security level and enrollment profile
  enrollment           approve or reject enrollments held for approval
  ca                   trusted manufacturer CAs; lab IDevID tooling (offline)
  simulate             run a fleet of virtual agents against a panel

Run 'palisade <command> --help' for a command's options.
`;

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  server: serverCommand,
  agent: agentCommand,
  login: loginCommand,
  logout: logoutCommand,
  operator: operatorCommand,
  audit: auditCommand,
  device: deviceCommand,
  group: groupCommand,
  enrollment: enrollmentCommand,
  ca: caCommand,
  simulate: simulateCommand,
};

/**
 * Runs one command. Domain errors (the panel's problem codes, the CLI's own
 * codes) end here as `palisade: <message> [<code>]`, so tests running in
 * process see exactly what a user sees. Exit 1: no answer (network, TLS,
 * database); exit 2: refused or misused.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`palisade: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (!(error instanceof PalisadeError)) throw error;
    io.err(`palisade: ${error.message} [${error.code}]\n`);
    return error instanceof CliError ? error.exitCode : 2;
  }
}
