import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { IdentityKey, RootOfTrust } from './root-of-trust.ts';

/**
 * Keys that live only in memory, for the fleet simulator: thousands of
 * virtual devices in one process, nothing on disk. Reported as software (not
 * hardware-backed), like the software root of trust it stands in for.
 */
export function memoryRoot(): RootOfTrust {
  const keys = new Map<string, IdentityKey>();
  const identityKey = (label: string, privateKey: KeyObject): IdentityKey => {
    const pem = String(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    return {
      label,
      algorithm: 'ECDSA-P256-SHA256',
      publicKeySpki: new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })),
      async sign(data) {
        return new Uint8Array(sign('sha256', data, privateKey));
      },
      tlsClientKey() {
        return { kind: 'node-options', options: { key: pem } };
      },
    };
  };
  return {
    kind: 'software',
    hardwareBacked: false,
    async createKey(label) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const key = identityKey(label, privateKey);
      keys.set(label, key);
      return key;
    },
    async loadKey(label) {
      return keys.get(label);
    },
    async deleteKey(label) {
      keys.delete(label);
    },
    async facts() {
      return { kind: 'software', hardwareBacked: false };
    },
    async close() {
      keys.clear();
    },
    async [Symbol.asyncDispose]() {
      keys.clear();
    },
  };
}
