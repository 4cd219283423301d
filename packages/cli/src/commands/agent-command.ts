import { Agent, createAgentLogger, DEFAULT_AGENT_CONFIG_PATH, loadAgentConfig } from '@palisade/agent';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';

const HELP = `Usage: palisade agent [--config FILE]

Runs the endpoint agent until SIGTERM or SIGINT: enrolls the device (EST),
keeps its certificate renewed, checks in, delivers its outbox and inventory,
and listens for pushes from the panel.

Options:
  --config FILE   agent configuration (default ${DEFAULT_AGENT_CONFIG_PATH}, or PALISADE_AGENT_CONFIG)

Exit codes: 0 stopped; 2 configuration or state refused; 75 restart required
(a renewed TPM key becomes usable in a new process; systemd restarts it).
`;

/** EX_TEMPFAIL (sysexits.h): systemd's Restart= brings the agent back at once. */
export const EXIT_RESTART = 75;
const SHUTDOWN_GRACE_MS = 15_000;
const AGENT_VERSION = '0.1.0';

export async function agentCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let configPath = io.env.PALISADE_AGENT_CONFIG ?? DEFAULT_AGENT_CONFIG_PATH;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      io.out(HELP);
      return 0;
    }
    if (arg === '--config' && argv[i + 1] !== undefined) {
      configPath = argv[i + 1] as string;
      i += 1;
    } else if (arg?.startsWith('--config=')) {
      configPath = arg.slice('--config='.length);
    } else {
      throw new CliError('USAGE', `unknown option ${arg ?? ''} (see palisade agent --help)`);
    }
  }
  const config = await loadAgentConfig(configPath);
  const logger = createAgentLogger(config.logLevel);
  const agent = Agent.start({ config, logger, version: AGENT_VERSION });
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('the agent did not stop in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    void agent.stop();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const exit = await agent.done;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  return exit === 'restart-required' ? EXIT_RESTART : 0;
}
