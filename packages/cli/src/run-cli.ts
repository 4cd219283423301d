import { PalisadeError } from '@palisade/core';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';

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
  attest               measured boot, offline: parse and replay a TPM event log
  compliance           per-device compliance and signed reports (palisade compliance report --group G)

Run 'palisade <command> --help' for a command's options.
`;

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

// Commands load on demand: `palisade agent` on a small device must not load the panel, and the
// panel's CLI tools need none of the agent (the agent's benchmark measures what each import costs).
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  server: async () => (await import('./commands/server-command.ts')).serverCommand,
  agent: async () => (await import('./commands/agent-command.ts')).agentCommand,
  login: async () => (await import('./commands/login-command.ts')).loginCommand,
  logout: async () => (await import('./commands/login-command.ts')).logoutCommand,
  operator: async () => (await import('./commands/operator-command.ts')).operatorCommand,
  audit: async () => (await import('./commands/audit-command.ts')).auditCommand,
  device: async () => (await import('./commands/device-command.ts')).deviceCommand,
  group: async () => (await import('./commands/group-command.ts')).groupCommand,
  enrollment: async () => (await import('./commands/enrollment-command.ts')).enrollmentCommand,
  ca: async () => (await import('./commands/ca-command.ts')).caCommand,
  simulate: async () => (await import('./commands/simulate-command.ts')).simulateCommand,
  attest: async () => (await import('./commands/attest-command.ts')).attestCommand,
  compliance: async () => (await import('./commands/compliance-command.ts')).complianceCommand,
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
  const load = COMMANDS[name];
  if (!load) {
    io.err(`palisade: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    if (!(error instanceof PalisadeError)) throw error;
    io.err(`palisade: ${error.message} [${error.code}]\n`);
    return error instanceof CliError ? error.exitCode : 2;
  }
}
