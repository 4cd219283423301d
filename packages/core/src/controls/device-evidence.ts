/**
 * What the panel knows about one device when it evaluates the controls: a
 * snapshot assembled from the panel's own records and the device's reports.
 * Times are RFC 3339 strings (UTC). Everything that a capability Palisade
 * does not have yet would provide (signed boot manifests, updates,
 * file-integrity monitoring, crypto-usage scans) is optional, and its absence
 * makes the controls that need it `unknown`, never `met`.
 */
import type { PolicyKind } from '../policy/policy-kinds.ts';

/** The agent's root of trust as its last check-in reported it. */
export interface RootOfTrustEvidence {
  /** `software`, `pkcs11` or `tpm`; anything else is kept as reported and fails RT-1. */
  readonly kind: string;
  /** True for a TPM or a PKCS#11 token backed by hardware; false for files and SoftHSM. */
  readonly hardwareBacked: boolean;
  readonly reportedAt: string;
}

/** The device's current operational certificate (LDevID): the one issued last. */
export interface CertificateEvidence {
  readonly serial: string;
  /** The EST operation that issued it (RFC 7030 §4.2.1, §4.2.2, §4.4). */
  readonly issuedVia: 'simpleenroll' | 'simplereenroll' | 'serverkeygen';
  readonly issuedAt: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly keyAlgorithm: string;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
}

/** Every certificate the device was issued: how often it re-enrolled. */
export interface RenewalHistory {
  readonly issued: number;
  readonly reenrollments: number;
  readonly lastReenrolledAt?: string;
}

/** IEEE 802.1AR provenance: the IDevID the device enrolled with and its stored chain. */
export interface IdevidEvidence {
  readonly manufacturer: string;
  readonly serial?: string;
  /** The IDevID chain presented at enrollment is stored with the device. */
  readonly chainStored: boolean;
}

export type AttestationCheck = 'measured_boot' | 'reference';

export interface AttestationVerdictEvidence {
  readonly id: string;
  readonly result: 'pass' | 'fail';
  readonly at: string;
  /** The failing stage: binding, quote, pcr, measured_boot or reference. */
  readonly component?: string;
  readonly code?: string;
  readonly message: string;
  /** Checks the verifier could not run (no event log sent, no reference values configured). */
  readonly notRun: readonly AttestationCheck[];
}

export interface AttestationEvidence {
  /** The active attestation key, bound to the EK by TPM2_ActivateCredential. */
  readonly key?: { readonly id: string; readonly boundAt: string; readonly ekCertified: boolean };
  readonly lastVerdict?: AttestationVerdictEvidence;
  readonly lastPassAt?: string;
}

/** A fact from the device's inventory: its value, or why the agent could not establish it. */
export type InventoryFact<T> =
  | { readonly known: true; readonly value: T }
  | { readonly known: false; readonly reason: string };

/** The inventory report the facts below come from. */
export interface InventorySource {
  readonly recordId: string;
  readonly reportedAt: string;
}

export interface PlatformEvidence extends InventorySource {
  readonly secureBoot: InventoryFact<'enabled' | 'disabled' | 'setup-mode'>;
  /** Root filesystem on a dm-crypt (LUKS) volume. */
  readonly rootEncrypted: InventoryFact<boolean>;
  /** A TPM is present: a hardware key store is available on the device. */
  readonly tpmPresent: InventoryFact<boolean>;
}

/** A signed boot manifest verified by the panel (not collected yet). */
export interface BootManifestEvidence {
  readonly id: string;
  readonly verified: boolean;
  readonly at: string;
  readonly reason?: string;
}

/** One policy kind: what the panel assigns and what the device last reported for it. */
export interface PolicyEvidence {
  /** The effective policy and its latest published version; absent when nothing is assigned. */
  readonly assigned?: {
    readonly policyId: string;
    readonly name: string;
    readonly version: number;
    /** For a `siem` policy: the detection rules it gives the device to evaluate. */
    readonly deviceRules?: number;
  };
  readonly report?: {
    readonly policyId: string;
    readonly version: number;
    readonly state: 'applied' | 'failed' | 'rolled_back' | 'drifted' | 'repaired' | 'removed';
    readonly reportedAt: string;
    readonly liveStateHash?: string;
    readonly message?: string;
  };
}

/** Algorithm and key-size inventory on the device (not collected yet). */
export interface CryptoInventoryEvidence {
  readonly scanId: string;
  readonly scannedAt: string;
  readonly fipsMode: boolean;
  /** Keys, certificates or configurations below the strength the crypto policy asks for. */
  readonly weakFindings: number;
}

/** File-integrity monitoring and crypto-usage scans (not collected yet). */
export interface MonitoringEvidence {
  readonly fim?: {
    readonly baselineId: string;
    readonly baselineSigned: boolean;
    readonly lastScanAt: string;
    /** Changes to protected paths that no signed update explains. */
    readonly unexplainedChanges: number;
    /** Boot artifacts (firmware, bootloader, kernel) are among the protected paths. */
    readonly protectsBoot: boolean;
  };
  readonly cryptoScan?: { readonly scanId: string; readonly lastScanAt: string; readonly violations: number };
}

/** The device's update client (not collected yet). */
export interface UpdateEvidence {
  readonly lastCheckAt: string;
  /** Director and image metadata verified (TUF/Uptane) at the last check. */
  readonly metadataVerified: boolean;
  readonly lastInstall?: {
    readonly id: string;
    readonly at: string;
    readonly verifiedBeforeInstall: boolean;
    readonly outcome: 'installed' | 'rolled_back' | 'failed';
  };
}

export interface ExporterEvidence {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly enabled: boolean;
  /** Events waiting in its durable queue, and since when. */
  readonly pending: number;
  readonly oldestPendingAt?: string;
  readonly lastDeliveredAt?: string;
  /** The last delivery attempt failed with this (cleared by the next success). */
  readonly lastError?: string;
}

/** Facts about the panel that hold for every device (shared by all snapshots of one evaluation). */
export interface FleetEvidence {
  readonly exporters: readonly ExporterEvidence[];
  /** Enabled detection rules the panel evaluates. */
  readonly panelRules: number;
  /** Alerts carry their triggering events and the device's context (the detection context is running). */
  readonly alertsWithContext: boolean;
  /** The TLS group the device listener offers first, e.g. X25519MLKEM768; undefined without a hybrid group. */
  readonly postQuantumGroup?: string;
  /** Algorithms that sign policies (`ecdsa-p256-sha256`, `ml-dsa-65`). */
  readonly policySignatureAlgorithms: readonly string[];
}

export interface DeviceEvidence {
  readonly deviceId: string;
  readonly group: string;
  /** Decommissioned devices are not evaluated. */
  readonly state: 'claimed' | 'enrolled' | 'revoked';
  readonly quarantine?: { readonly at: string; readonly reason: string };
  /** The device's last contact with the panel (check-in or channel), by the panel's clock. */
  readonly lastContactAt?: string;
  readonly rootOfTrust?: RootOfTrustEvidence;
  readonly certificate?: CertificateEvidence;
  readonly renewals: RenewalHistory;
  readonly idevid?: IdevidEvidence;
  readonly attestation?: AttestationEvidence;
  readonly platform?: PlatformEvidence;
  readonly bootManifest?: BootManifestEvidence;
  readonly policies: Readonly<Partial<Record<PolicyKind, PolicyEvidence>>>;
  readonly cryptoInventory?: CryptoInventoryEvidence;
  readonly monitoring?: MonitoringEvidence;
  readonly updates?: UpdateEvidence;
  readonly fleet: FleetEvidence;
}

/** What the evaluators need to know about the device's group. */
export interface GroupContext {
  readonly name: string;
  /** From the group's attestation profile: how old a passing verdict may be. */
  readonly attestationMaxAgeSeconds: number;
  readonly attestationActionOnFailure: 'alert' | 'quarantine' | 'revoke';
}
