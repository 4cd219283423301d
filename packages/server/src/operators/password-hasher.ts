import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { OperatorError } from './operator-errors.ts';

/**
 * Operator passwords are stored as scrypt digests in PHC string format:
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, no padding).
 *
 * Parameters: N = 2^15, r = 8, p = 1 (32 MiB, ~60 ms on one core here), a
 * 16-byte random salt and a 32-byte key. These are the interactive-login
 * parameters of RFC 7914 §2 / OWASP's password storage guidance; the stored
 * string carries them, so raising them later leaves old hashes verifiable.
 */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

function derive(
  password: string,
  salt: Buffer,
  ln: number,
  r: number,
  p: number,
  keyLength: number,
): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** ln, r, p, maxmem: 2 * 128 * 2 ** ln * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const { ln, r, p, keyLength, saltLength } = SCRYPT_PARAMS;
  const salt = randomBytes(saltLength);
  const key = await derive(password, salt, ln, r, p, keyLength);
  return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** Constant-time check of a password against a stored digest. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = PHC.exec(stored);
  if (!match) return false;
  const [, ln, r, p, salt, hash] = match;
  const expected = Buffer.from(hash ?? '', 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt ?? '', 'base64url'),
    Number(ln),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;
/**
 * Burns the same scrypt work as a real check, so that a login for an unknown
 * user takes as long as one with a wrong password (no user enumeration by timing).
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}

/** Throws PASSWORD_POLICY naming what is wrong; the password itself is never echoed. */
export function checkPasswordPolicy(password: string, username: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw new OperatorError(
      'PASSWORD_POLICY',
      `password must be at least ${PASSWORD_MIN_LENGTH} characters`,
      {
        details: { minLength: PASSWORD_MIN_LENGTH },
      },
    );
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new OperatorError('PASSWORD_POLICY', `password must be at most ${PASSWORD_MAX_LENGTH} characters`, {
      details: { maxLength: PASSWORD_MAX_LENGTH },
    });
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    throw new OperatorError('PASSWORD_POLICY', 'password must not contain the user name');
  }
  if (new Set(password).size < 5) {
    throw new OperatorError('PASSWORD_POLICY', 'password must use at least 5 different characters');
  }
}

/** A one-time password: 20 characters from an unambiguous alphabet, ~115 bits. */
export function generateOneTimePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(40);
  let out = '';
  for (const byte of bytes) {
    // Rejection sampling keeps the choice uniform (alphabet length 57 does not divide 256).
    if (byte < 228 && out.length < 20) out += alphabet[byte % 57];
  }
  return out.length === 20 ? out : generateOneTimePassword();
}
