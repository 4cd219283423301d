import { ConfigError, loadPanelConfig, panelHelp, startPanel } from '@palisade/server';
import type { CliIo } from '../cli-io.ts';

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
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  panel.logger.info({ signal }, 'shutting down');
  await panel.close();
  return 0;
}

export { ConfigError };
