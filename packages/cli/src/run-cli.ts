import type { CliIo } from './cli-io.ts';
import { serverCommand } from './commands/server-command.ts';

const USAGE = `Usage: palisade <command> [options]

Commands:
  server               run the panel (palisade server --help)
  login                log in to a panel and keep the session token
  logout               end the stored session
  operator             manage operator accounts and API tokens
  audit                read and verify the audit log

Run 'palisade <command> --help' for a command's options.
`;

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  server: serverCommand,
};

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
  return command(rest, io);
}
