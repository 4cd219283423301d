import { join } from 'node:path';
import type { AgentRootOfTrustConfig } from '../config/agent-config.ts';
import type { RootOfTrust } from './root-of-trust.ts';

/**
 * Opens the root of trust the configuration names; its state lives under the
 * agent's state directory. Each kind loads only its own modules: a device
 * with a TPM never loads the PKCS#11 stack, and the other way round.
 */
export async function openRootOfTrust(
  config: AgentRootOfTrustConfig,
  stateDir: string,
): Promise<RootOfTrust> {
  switch (config.kind) {
    case 'software': {
      const { openSoftwareRoot } = await import('./software-root.ts');
      return openSoftwareRoot({
        keyDir: join(stateDir, 'keys'),
        ...(config.passphraseFile ? { passphraseFile: config.passphraseFile } : {}),
      });
    }
    case 'pkcs11': {
      const { openPkcs11Root } = await import('./pkcs11-root.ts');
      return openPkcs11Root({ uri: config.uri });
    }
    case 'tpm': {
      const { openTpmRoot } = await import('./tpm-root.ts');
      return openTpmRoot({ tcti: config.tcti, stateDir: join(stateDir, 'tpm') });
    }
  }
}
