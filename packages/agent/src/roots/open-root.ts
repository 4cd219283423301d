import { join } from 'node:path';
import type { AgentRootOfTrustConfig } from '../config/agent-config.ts';
import { openPkcs11Root } from './pkcs11-root.ts';
import type { RootOfTrust } from './root-of-trust.ts';
import { openSoftwareRoot } from './software-root.ts';
import { openTpmRoot } from './tpm-root.ts';

/** Opens the root of trust the configuration names; its state lives under the agent's state directory. */
export function openRootOfTrust(config: AgentRootOfTrustConfig, stateDir: string): Promise<RootOfTrust> {
  switch (config.kind) {
    case 'software':
      return openSoftwareRoot({
        keyDir: join(stateDir, 'keys'),
        ...(config.passphraseFile ? { passphraseFile: config.passphraseFile } : {}),
      });
    case 'pkcs11':
      return openPkcs11Root({ uri: config.uri });
    case 'tpm':
      return openTpmRoot({ tcti: config.tcti, stateDir: join(stateDir, 'tpm') });
  }
}
