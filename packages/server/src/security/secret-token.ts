import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Bearer secrets handed to operators and devices: `pls_<kind>_<id>_<secret>`. The ID finds
 * the row; only SHA-256 of the 256-bit secret is stored and it is compared in
 * constant time. The fixed prefix lets secret scanners recognise a leaked token.
 */
/** `sess`: operator session; `tok`: operator API token; `enr`: one-time device enrollment token. */
export type SecretKind = 'sess' | 'tok' | 'enr';

export interface MintedSecret {
  readonly id: string;
  readonly token: string;
  readonly secretHash: Buffer;
}

const TOKEN_PATTERN =
  /^pls_(sess|tok|enr)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([0-9a-f]{64})$/;

export function mintSecret(kind: SecretKind): MintedSecret {
  const id = randomUUID();
  const secret = randomBytes(32).toString('hex');
  return { id, token: `pls_${kind}_${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseSecret(token: string): { kind: SecretKind; id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  return { kind: match[1] as SecretKind, id: match[2] as string, secret: match[3] as string };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const actual = hashSecret(secret);
  return storedHash.length === actual.length && timingSafeEqual(actual, storedHash);
}
