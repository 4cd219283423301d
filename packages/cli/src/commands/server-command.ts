import { ConfigError, loadPanelConfig, panelHelp, startPanel } from '@palisade/server';
import type { CliIo } from '../cli-io.ts';
import { startDemoFleet } from '../demo-fleet.ts';

const SHUTDOWN_GRACE_MS = 25_000;

/**
 * `palisade server`: runs the panel until SIGTERM or SIGINT, then drains
 * in-flight requests, closes the database and releases the data directory.
 */
export async function serverCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = await loadPanelConfig(argv, io.env);
  if (parsed.help) {
    io.out(panelHelp());
    return 0;
  }
  const panel = await startPanel({
    config: parsed.config,
    secrets: {
      keyPassphrase: io.env.PALISADE_KEY_PASSPHRASE,
      bootstrapAdminPassword: io.env.PALISADE_BOOTSTRAP_ADMIN_PASSWORD,
    },
    announce: io.err,
  });
  const demo = parsed.config.demoFleet > 0 ? await startDemoFleet(panel, parsed.config.demoFleet) : undefined;
  if (demo)
    io.err(
      `Demo fleet: ${parsed.config.demoFleet} simulated devices are enrolling (palisade device list).\n`,
    );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  panel.logger.info({ signal }, 'shutting down');
  // A drain that never ends (a stuck client, a database that does not answer) must not keep a
  // stopped service alive: give up after the grace period, or at a second signal.
  const giveUp = (reason: string) => {
    panel.logger.error({ reason }, 'shutdown did not finish; exiting');
    process.exit(1);
  };
  const timer = setTimeout(() => giveUp(`no clean stop within ${SHUTDOWN_GRACE_MS} ms`), SHUTDOWN_GRACE_MS);
  timer.unref();
  process.once('SIGTERM', () => giveUp('second SIGTERM'));
  process.once('SIGINT', () => giveUp('second SIGINT'));
  await demo?.stop();
  await panel.close();
  clearTimeout(timer);
  return 0;
}

export { ConfigError };
