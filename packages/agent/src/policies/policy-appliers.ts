import type { PanelReachability, PolicyKind } from '@palisade/core';
import type { Logger } from 'pino';
import { createNftRunner, type NftRunner } from '../firewall/nft-runner.ts';
import { NftablesFirewall, type NftablesFirewallOptions } from '../firewall/nftables-firewall.ts';
import { ConfigApplier } from './config-applier.ts';
import { CryptoApplier } from './crypto-applier.ts';
import { DeviceEventGate } from './device-event-gate.ts';
import { FirewallApplier } from './firewall-applier.ts';
import { HeldDocumentApplier } from './held-documents.ts';
import { resolvePanelEndpoints } from './panel-endpoints.ts';
import type { PolicyApplier } from './policy-applier.ts';
import type { PolicySettings } from './policy-settings.ts';
import type { AccountFiles } from './unix-accounts.ts';

/** One applier per kind. */
export type Appliers = { readonly [K in PolicyKind]: PolicyApplier<K> };

export interface ApplierOptions {
  readonly deviceId: string;
  readonly settings: PolicySettings;
  readonly panelUrls: readonly URL[];
  readonly logger: Logger;
  /** Aborted when the agent stops (ends a firewall confirmation wait). */
  readonly signal: AbortSignal;
  /** Test hooks. */
  readonly nftRunner?: NftRunner;
  readonly render?: NftablesFirewallOptions['render'];
  readonly panelEndpoints?: () => Promise<PanelReachability>;
  readonly accounts?: AccountFiles;
  readonly fipsEnabled?: () => boolean;
  readonly probeIntervalMs?: number;
}

/** The appliers as agent.yaml configures them, and the three the client talks to directly. */
export function createAppliers(options: ApplierOptions): {
  appliers: Appliers;
  gate: DeviceEventGate;
  crypto: CryptoApplier;
  firewall: FirewallApplier;
} {
  const { settings } = options;
  const gate = new DeviceEventGate({ deviceId: options.deviceId, logger: options.logger });
  const crypto = new CryptoApplier({
    agentTls: settings.crypto.agentTls,
    ...(settings.crypto.opensslInclude ? { opensslInclude: settings.crypto.opensslInclude } : {}),
    ...(options.fipsEnabled ? { fipsEnabled: options.fipsEnabled } : {}),
  });
  const firewall = new FirewallApplier({
    // The firewall's dead-man record lives beside the rest of the policy state.
    firewall: new NftablesFirewall({
      stateDir: settings.stateDir,
      runner:
        options.nftRunner ??
        createNftRunner({ nftPath: settings.firewall.nftPath, prefix: settings.firewall.nftPrefix }),
      ...(options.render ? { render: options.render } : {}),
    }),
    panelEndpoints: options.panelEndpoints ?? (() => resolvePanelEndpoints(options.panelUrls)),
    confirmWithinMs: settings.firewall.confirmWithinSeconds * 1000,
    signal: options.signal,
    ...(options.probeIntervalMs === undefined ? {} : { probeIntervalMs: options.probeIntervalMs }),
  });
  const appliers: Appliers = {
    firewall,
    crypto,
    config: new ConfigApplier({
      allowedDirectories: settings.config.allowedDirectories,
      ...(options.accounts ? { accounts: options.accounts } : {}),
    }),
    monitoring: new HeldDocumentApplier('monitoring'),
    attestation: new HeldDocumentApplier('attestation'),
    siem: gate,
  };
  return { appliers, gate, crypto, firewall };
}
