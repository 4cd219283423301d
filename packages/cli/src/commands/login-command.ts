import { resolve } from 'node:path';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption } from '../command-args.ts';
import { parseLoginAnswer } from '../panel-answers.ts';
import { PanelClient, parsePanelUrl, readCaFile } from '../panel-client.ts';
import { PasswordSource } from '../password-input.ts';
import { deleteSession, loadSession, type StoredSession, saveSession } from '../session-store.ts';

const LOGIN_HELP = `Usage: palisade login --panel URL --user NAME [--password-stdin] [--ca-file FILE]

Logs in to a panel and keeps the session token in
$XDG_CONFIG_HOME/palisade/session.json (default ~/.config/palisade/session.json,
readable by you only). Later commands use it until it expires or you log out.

The password is asked for on the terminal without echo. With --password-stdin
it is the first line of standard input. When the panel requires a new password
(first login with a one-time password) it is asked for twice on the terminal,
or read from the second line of standard input.

Options:
  --panel URL        the panel's operator API, e.g. https://panel.example:9443
                     (default: $PALISADE_PANEL)
  --user NAME        operator user name
  --password-stdin   read the password(s) from standard input, one per line
  --ca-file FILE     the panel's root CA certificate (<data-dir>/ca/root-ca.pem)
                     (default: $PALISADE_CA_FILE, else the system trust store)
  -h, --help         this text
`;

const LOGOUT_HELP = `Usage: palisade logout

Ends the stored session on the panel and deletes it from this machine.
An API token in PALISADE_TOKEN is not affected (revoke it with
'palisade operator token revoke').
`;

/** `palisade login`: opens a bearer session (mode "token") and stores it for later commands. */
export async function loginCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      panel: { type: 'string' },
      user: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'ca-file': { type: 'string' },
      ...HELP_OPTION,
    },
    'login',
  );
  if (values.help === true) {
    io.out(LOGIN_HELP);
    return 0;
  }
  const panel = parsePanelUrl(requireOption(values.panel ?? io.env.PALISADE_PANEL, 'panel', 'login'));
  const username = requireOption(values.user, 'user', 'login');
  const caOption = values['ca-file'] ?? io.env.PALISADE_CA_FILE;
  // Stored absolute: later commands may run from another directory.
  const caFile = caOption === undefined || caOption === '' ? null : resolve(caOption);
  const client = new PanelClient({ panel, ca: caFile === null ? undefined : await readCaFile(caFile) });
  const passwords = new PasswordSource(io, values['password-stdin'] === true);
  const password = await passwords.current();

  const session = parseLoginAnswer(
    await client.post('/v1/auth/login', { username, password, mode: 'token' }),
  );
  const authed = client.withToken(session.token);
  if (session.mustChangePassword) {
    io.err('The panel requires a new password before anything else.\n');
    try {
      const newPassword = await passwords.newPassword();
      await authed.post('/v1/auth/password', { currentPassword: password, newPassword });
    } catch (error) {
      // A session that can do nothing but change the password is of no use to keep.
      await authed.post('/v1/auth/logout').catch(() => undefined);
      throw error;
    }
    io.out('password changed\n');
  }
  const path = await saveSession(io.env, {
    panel,
    username: session.username,
    token: session.token,
    caFile,
    expiresAt: session.expiresAt,
  });
  io.out(
    `logged in to ${panel} as ${session.username} (role ${session.role}); ` +
      `session stored in ${path}, valid until ${session.expiresAt}\n`,
  );
  return 0;
}

/** `palisade logout`: ends the stored session on the panel and removes it locally. */
export async function logoutCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(argv, { ...HELP_OPTION }, 'logout');
  if (values.help === true) {
    io.out(LOGOUT_HELP);
    return 0;
  }
  let session: StoredSession | undefined;
  try {
    session = await loadSession(io.env);
  } catch (error) {
    if (!(error instanceof CliError && error.code === 'SESSION_FILE_INVALID')) throw error;
    // Unusable for anything else, but it may hold a token: logging out still removes it.
    await deleteSession(io.env);
    io.out('removed an invalid session file\n');
    return 0;
  }
  if (session === undefined) {
    io.err('palisade: not logged in; nothing to do\n');
    return 0;
  }
  try {
    if (Date.parse(session.expiresAt) > Date.now()) {
      const client = new PanelClient({
        panel: session.panel,
        token: session.token,
        ca: session.caFile === null ? undefined : await readCaFile(session.caFile),
      });
      await client.post('/v1/auth/logout');
    }
  } catch (error) {
    // The local copy goes in every case: the user asked for the token to be gone from this machine.
    await deleteSession(io.env);
    if (
      error instanceof CliError &&
      (error.code === 'UNAUTHENTICATED' || error.code === 'CREDENTIAL_EXPIRED')
    ) {
      io.out(`logged out of ${session.panel} (the session had already ended)\n`);
      return 0;
    }
    io.err(
      `palisade: removed the local session, but the panel did not end it; it stays valid until ${session.expiresAt}\n`,
    );
    throw error;
  }
  await deleteSession(io.env);
  io.out(`logged out of ${session.panel}\n`);
  return 0;
}
