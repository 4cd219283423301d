import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { PanelClient, parsePanelUrl, readCaFile } from './panel-client.ts';
import { loadSession } from './session-store.ts';

function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The panel and credential a command talks to: the stored session from
 * `palisade login`, with PALISADE_PANEL, PALISADE_TOKEN and PALISADE_CA_FILE
 * taking precedence (automation, CI).
 */
export async function connectToPanel(io: CliIo, now: Date = new Date()): Promise<PanelClient> {
  const envPanel = fromEnv(io.env, 'PALISADE_PANEL');
  const envToken = fromEnv(io.env, 'PALISADE_TOKEN');
  // The panel's bearer syntax; a stray newline from `$(cat file)` must not reach a header.
  if (envToken !== undefined && !/^[\x21-\x7e]{1,200}$/.test(envToken))
    throw new CliError(
      'USAGE',
      'PALISADE_TOKEN is not a token (printable characters, no spaces or newlines)',
    );
  const envCa = fromEnv(io.env, 'PALISADE_CA_FILE');
  const panel = envPanel === undefined ? undefined : parsePanelUrl(envPanel);
  const stored = panel !== undefined && envToken !== undefined ? undefined : await loadSession(io.env);
  // The stored token belongs to the stored panel: it is never sent to another one.
  const session =
    stored !== undefined && (panel === undefined || stored.panel === panel) ? stored : undefined;
  const target = panel ?? session?.panel;
  const token = envToken ?? session?.token;
  if (target === undefined || token === undefined) {
    throw new CliError(
      'NOT_LOGGED_IN',
      panel === undefined
        ? "not logged in: run 'palisade login', or set PALISADE_PANEL and PALISADE_TOKEN"
        : `not logged in to ${panel}: run 'palisade login --panel ${panel}', or set PALISADE_TOKEN`,
    );
  }
  if (envToken === undefined && session !== undefined && Date.parse(session.expiresAt) <= now.getTime()) {
    throw new CliError(
      'NOT_LOGGED_IN',
      `the session on ${session.panel} expired at ${session.expiresAt}; run 'palisade login' again`,
    );
  }
  const caFile = envCa ?? session?.caFile ?? undefined;
  return new PanelClient({
    panel: target,
    token,
    ca: caFile === undefined ? undefined : await readCaFile(caFile),
  });
}
