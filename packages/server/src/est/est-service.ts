import { generateKeyPairSync, type KeyObject, timingSafeEqual, type X509Certificate } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import type {
  Device,
  DeviceGroup,
  DeviceRegistry,
  EnrollmentTokens,
  ManufacturerTrust,
  PendingEnrollments,
  TokenRefusal,
} from '../devices/index.ts';
import { deviceUri } from '../devices/index.ts';
import {
  type CaCertificate,
  type CertificateAuthority,
  certsOnlyPkcs7,
  issueDeviceCertificate,
  normalizeSerial,
  type RevocationEndpoints,
  x509,
} from '../pki/index.ts';
import { type LoginThrottle, parseSecret } from '../security/index.ts';
import { type AcceptedCsr, acceptCsr } from './csr-policy.ts';
import type { DevicePeer } from './device-peer.ts';
import { EnrollmentError } from './enrollment-error.ts';

/** How the device proved who it is for an initial enrollment. */
export type EnrollmentCredential =
  | { readonly kind: 'token'; readonly token: string; readonly basicUser?: string | undefined }
  | { readonly kind: 'idevid'; readonly peer: Extract<DevicePeer, { kind: 'idevid' }> }
  | { readonly kind: 'none' };

export interface EnrollmentRequest {
  /** The EST label of the URL (`/.well-known/est/<label>/…`): a device group. */
  readonly label: string | undefined;
  readonly csrDer: Uint8Array;
  readonly channelBinding: Uint8Array | undefined;
  readonly source: string;
}

export type EnrollmentOutcome =
  | {
      readonly kind: 'issued';
      readonly pkcs7: Uint8Array;
      readonly serial: string;
      readonly privateKeyPkcs8?: Uint8Array;
    }
  | { readonly kind: 'pending'; readonly retryAfterSeconds: number };

export interface EstServiceOptions {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly registry: DeviceRegistry;
  readonly tokens: EnrollmentTokens;
  readonly manufacturers: ManufacturerTrust;
  readonly pending: PendingEnrollments;
  /** Failed token attempts per device (Basic user) or token ID. */
  readonly throttle: LoginThrottle;
  /**
   * Failed token attempts per source address, whatever the token: guessing with fresh token IDs
   * never trips the per-token lock. Generous, since a whole site may enroll from behind one NAT.
   */
  readonly sourceThrottle: LoginThrottle;
  readonly issuing: CertificateAuthority;
  readonly root: CaCertificate;
  /** Where certificates point relying parties for revocation data; known once the HTTP listener is up. */
  readonly endpoints: () => RevocationEndpoints;
  readonly now: () => Date;
}

/** Where an IDevID enrollment came from: the chain presented and the trusted manufacturer it ends in. */
interface IdevidProvenance {
  readonly chainPem: string;
  readonly manufacturerId: string;
}

const RETRY_AFTER_SECONDS = 60;
const SUBJECT_SERIAL_NUMBER = '2.5.4.5';

type Operation = 'simpleenroll' | 'simplereenroll' | 'serverkeygen';

/**
 * RFC 7030 enrollment: who may enroll, with which key, for which identity,
 * and the issuance itself. Every refusal is audited and issues nothing.
 */
export class EstService {
  readonly #o: EstServiceOptions;

  constructor(options: EstServiceOptions) {
    this.#o = options;
  }

  /** RFC 7030 §4.1: the issuing CA and the root, as certs-only PKCS#7. */
  caCertificates(): Uint8Array {
    return certsOnlyPkcs7([this.#o.issuing.certificate, this.#o.root.certificate]);
  }

  /** `simpleenroll` and `serverkeygen`: an initial enrollment, with a token or an IDevID. */
  async enroll(
    request: EnrollmentRequest,
    credential: EnrollmentCredential,
    operation: 'simpleenroll' | 'serverkeygen',
  ): Promise<EnrollmentOutcome> {
    const attempt = await this.#identify(request, credential);
    try {
      const group = await this.#groupFor(attempt.device, request.label);
      const csr = await acceptCsr(request.csrDer, group.targetLevel);
      this.#checkIdentity(csr, attempt.device.id);
      return await this.#o.db.transaction(async (tx) => {
        const pending = await this.#o.pending.find(tx, attempt.device.id, request.csrDer);
        // A held request's binding was checked on the session that submitted it; its retry
        // (RFC 7030 §4.2.3: the same CSR) necessarily comes on a new session.
        if (!pending) this.#checkChannelBinding(csr, group, request.channelBinding);
        if (credential.kind === 'token') {
          const resumes = pending?.tokenId != null && parseSecret(credential.token)?.id === pending.tokenId;
          if (!resumes) await this.#consumeToken(tx, credential);
        }
        if (group.manualApproval) {
          const held = await this.#holdForApproval(
            tx,
            attempt.device,
            csr,
            'simpleenroll',
            credential,
            pending,
          );
          if (held) return held;
        }
        return this.#issue(
          tx,
          attempt.actor,
          attempt.device,
          group,
          csr,
          operation,
          attempt.idevid,
          request.source,
        );
      });
    } catch (error) {
      await this.#auditRefusal(attempt.actor, operation, attempt.device.id, error, request.source);
      throw error;
    }
  }

  /** `simplereenroll` (RFC 7030 §4.2.2): only with the current LDevID; subject and SAN unchanged; new key allowed. */
  async reenroll(request: EnrollmentRequest, peer: DevicePeer): Promise<EnrollmentOutcome> {
    if (peer.kind !== 'ldevid') {
      const code = peer.kind === 'refused' ? 'DEVICE_CERTIFICATE_REFUSED' : 'DEVICE_CERTIFICATE_REQUIRED';
      // The audit entry carries the code the client gets, and for a refused certificate its serial and why.
      await this.#o.audit.append({
        actor: 'anonymous',
        action: 'device.simplereenroll',
        outcome: 'failure',
        source: request.source,
        details: {
          code,
          peer: peer.kind,
          ...(peer.kind === 'refused' ? { serial: peer.serial, reason: peer.reason } : {}),
        },
      });
      throw new EnrollmentError(code, 're-enrollment needs the current, valid device certificate');
    }
    const actor = `device:${peer.deviceId}`;
    try {
      const device = await this.#o.registry.get(peer.deviceId);
      const group = await this.#groupFor(device, request.label);
      const csr = await acceptCsr(request.csrDer, group.targetLevel);
      // RFC 7030 §4.2.2: the Subject and SubjectAltName MUST be identical to the current certificate's.
      const current = new x509.X509Certificate(Buffer.from(peer.certificate.raw));
      if (csr.commonName !== undefined && csr.request.subject !== current.subject) {
        throw new EnrollmentError(
          'IDENTITY_MISMATCH',
          `re-enrollment must keep the subject ${current.subject}`,
        );
      }
      this.#checkIdentity(csr, device.id);
      return await this.#o.db.transaction(async (tx) => {
        const pending = group.manualApproval
          ? await this.#o.pending.find(tx, device.id, request.csrDer)
          : undefined;
        if (!pending) this.#checkChannelBinding(csr, group, request.channelBinding);
        if (group.manualApproval) {
          const held = await this.#holdForApproval(
            tx,
            device,
            csr,
            'simplereenroll',
            { kind: 'none' },
            pending,
          );
          if (held) return held;
        }
        return this.#issue(tx, actor, device, group, csr, 'simplereenroll', undefined, request.source);
      });
    } catch (error) {
      await this.#auditRefusal(actor, 'simplereenroll', peer.deviceId, error, request.source);
      throw error;
    }
  }

  /** Works out the device and the audit actor from the credential, before any CSR work. */
  async #identify(
    request: EnrollmentRequest,
    credential: EnrollmentCredential,
  ): Promise<{ device: Device; actor: string; idevid?: IdevidProvenance }> {
    if (credential.kind === 'none') {
      await this.#o.audit.append({
        actor: 'anonymous',
        action: 'device.simpleenroll',
        outcome: 'failure',
        source: request.source,
        details: { code: 'ENROLLMENT_UNAUTHENTICATED' },
      });
      throw new EnrollmentError(
        'ENROLLMENT_UNAUTHENTICATED',
        'enroll with an IDevID client certificate or an enrollment token',
      );
    }
    if (credential.kind === 'token') return this.#identifyByToken(request, credential);
    return this.#identifyByIdevid(request, credential.peer);
  }

  async #identifyByToken(
    request: EnrollmentRequest,
    credential: Extract<EnrollmentCredential, { kind: 'token' }>,
  ): Promise<{ device: Device; actor: string }> {
    const subject =
      `est:${credential.basicUser ?? parseSecret(credential.token)?.id ?? 'malformed-token'}`.slice(0, 200);
    const sourceSubject = `est-source:${request.source}`;
    const lockedFor = Math.max(
      await this.#o.throttle.lockedFor(this.#o.db, subject),
      await this.#o.sourceThrottle.lockedFor(this.#o.db, sourceSubject),
    );
    if (lockedFor > 0) {
      await this.#o.audit.append({
        actor: `anonymous:${subject}`,
        action: 'device.simpleenroll',
        outcome: 'denied',
        source: request.source,
        details: { code: 'ENROLLMENT_LOCKED' },
      });
      throw new EnrollmentError(
        'ENROLLMENT_LOCKED',
        `too many failed enrollment attempts; try again in ${lockedFor} seconds`,
        { details: { retryAfter: lockedFor } },
      );
    }
    // Look without spending: the token is spent only in the transaction that issues.
    const peek = await this.#o.tokens.inspect(credential.token, credential.basicUser);
    if ('refused' in peek) {
      const pendingResume =
        peek.refused === 'used' ? await this.#pendingTokenDevice(credential.token) : undefined;
      if (!pendingResume) {
        await this.#o.throttle.recordFailure(this.#o.db, subject);
        await this.#o.sourceThrottle.recordFailure(this.#o.db, sourceSubject);
        await this.#o.audit.append({
          actor: `anonymous:${subject}`,
          action: 'device.simpleenroll',
          outcome: 'failure',
          source: request.source,
          details: { code: 'ENROLLMENT_UNAUTHENTICATED', reason: peek.refused },
        });
        throw new EnrollmentError(
          'ENROLLMENT_UNAUTHENTICATED',
          `the enrollment token is not valid (${describeRefusal(peek.refused)})`,
        );
      }
      return { device: await this.#o.registry.get(pendingResume), actor: `device:${pendingResume}` };
    }
    return { device: await this.#o.registry.get(peek.deviceId), actor: `device:${peek.deviceId}` };
  }

  /** A used token still admits the retry of the enrollment it opened, while that waits for approval. */
  async #pendingTokenDevice(token: string): Promise<string | undefined> {
    const tokenId = parseSecret(token)?.id;
    if (!tokenId) return undefined;
    const result = await this.#o.db.query<{ device_id: string }>(
      "SELECT device_id FROM pending_enrollments WHERE token_id::text = $1 AND status IN ('pending', 'approved', 'rejected')",
      [tokenId],
    );
    return result.rows[0]?.device_id;
  }

  async #identifyByIdevid(
    request: EnrollmentRequest,
    peer: Extract<DevicePeer, { kind: 'idevid' }>,
  ): Promise<{ device: Device; actor: string; idevid: IdevidProvenance }> {
    const manufacturer = await this.#o.manufacturers.findInChain(peer.chainDer);
    const fingerprint = peer.certificate.fingerprint256.replaceAll(':', '').toLowerCase();
    const serial = subjectSerialNumber(peer.certificate);
    const actor = `idevid:${serial ?? fingerprint}`;
    if (!manufacturer) {
      await this.#o.audit.append({
        actor,
        action: 'device.simpleenroll',
        outcome: 'failure',
        source: request.source,
        details: { code: 'ENROLLMENT_UNAUTHENTICATED', reason: 'untrusted IDevID issuer' },
      });
      throw new EnrollmentError(
        'ENROLLMENT_UNAUTHENTICATED',
        'the client certificate is not an IDevID from a trusted manufacturer',
      );
    }
    const claimed = await this.#o.registry.findByIdevid(serial, fingerprint);
    // A subject serialNumber is unique only within one manufacturer: once a device has enrolled with
    // one manufacturer's IDevID, another manufacturer's IDevID with the same serialNumber is not it.
    if (claimed && claimed.manufacturerId !== null && claimed.manufacturerId !== manufacturer.id) {
      await this.#o.audit.append({
        actor,
        action: 'device.simpleenroll',
        target: `device:${claimed.id}`,
        outcome: 'denied',
        source: request.source,
        details: {
          code: 'IDEVID_NOT_CLAIMED',
          manufacturer: manufacturer.name,
          reason: 'bound to another manufacturer',
        },
      });
      throw new EnrollmentError(
        'IDEVID_NOT_CLAIMED',
        `device ${claimed.id} was enrolled with another manufacturer's IDevID`,
      );
    }
    let device: Device | undefined = claimed;
    if (!device) {
      if (!manufacturer.autoClaim) {
        await this.#o.audit.append({
          actor,
          action: 'device.simpleenroll',
          outcome: 'denied',
          source: request.source,
          details: { code: 'IDEVID_NOT_CLAIMED', manufacturer: manufacturer.name },
        });
        throw new EnrollmentError('IDEVID_NOT_CLAIMED', 'this device has not been claimed by the operator');
      }
      const id = serial ?? `idevid-${fingerprint.slice(0, 16)}`;
      device = await this.#o.registry.create(
        { actor: `manufacturer:${manufacturer.name}`, source: request.source, details: { autoClaim: true } },
        {
          id,
          group: request.label ?? manufacturer.defaultGroup,
          idevidSerial: serial,
          idevidFingerprint: fingerprint,
          manufacturerId: manufacturer.id,
        },
      );
    }
    const chainPem = peer.chainDer
      .map((der) => new x509.X509Certificate(Buffer.from(der)).toString('pem'))
      .join('\n');
    return {
      device,
      actor: `device:${device.id}`,
      idevid: { chainPem: `${chainPem}\n`, manufacturerId: manufacturer.id },
    };
  }

  async #groupFor(device: Device, label: string | undefined): Promise<DeviceGroup> {
    if (device.state === 'decommissioned')
      throw new EnrollmentError('DEVICE_NOT_ENROLLABLE', `device ${device.id} is decommissioned`);
    if (label !== undefined && label !== device.group) {
      throw new EnrollmentError(
        'IDENTITY_MISMATCH',
        `device ${device.id} belongs to group ${device.group}, not to EST label ${label}`,
      );
    }
    return this.#o.registry.group(device.group);
  }

  /** The CSR may name the device (CN or SAN URI) but never another one; the certificate's names are set by the panel. */
  #checkIdentity(csr: AcceptedCsr, deviceId: string): void {
    if (csr.commonName !== undefined && csr.commonName !== deviceId) {
      throw new EnrollmentError(
        'IDENTITY_MISMATCH',
        `the CSR names ${csr.commonName}, but the credential belongs to ${deviceId}`,
      );
    }
    const foreign = csr.sanUris.find((uri) => uri !== deviceUri(deviceId));
    if (foreign !== undefined)
      throw new EnrollmentError('IDENTITY_MISMATCH', `the CSR asks for ${foreign}, which is not this device`);
  }

  /** RFC 7030 §3.5: the challengePassword carries the base64 channel binding of this TLS session. */
  #checkChannelBinding(csr: AcceptedCsr, group: DeviceGroup, binding: Uint8Array | undefined): void {
    if (csr.challengePassword === undefined) {
      if (group.requireChannelBinding) {
        throw new EnrollmentError(
          'CHANNEL_BINDING_REQUIRED',
          `group ${group.name} requires the TLS channel binding in the CSR challengePassword (RFC 7030 §3.5)`,
        );
      }
      return;
    }
    const presented = Buffer.from(csr.challengePassword, 'base64');
    if (!binding || presented.length !== binding.length || !timingSafeEqual(presented, binding)) {
      throw new EnrollmentError(
        'CHANNEL_BINDING_MISMATCH',
        'the CSR was not made for this TLS session (channel binding mismatch)',
      );
    }
  }

  async #consumeToken(
    tx: Queryable,
    credential: Extract<EnrollmentCredential, { kind: 'token' }>,
  ): Promise<void> {
    const consumed = await this.#o.tokens.consume(tx, credential.token, credential.basicUser);
    // Another request spent it between the check and now.
    if ('refused' in consumed)
      throw new EnrollmentError(
        'ENROLLMENT_UNAUTHENTICATED',
        `the enrollment token is not valid (${describeRefusal(consumed.refused)})`,
      );
  }

  async #holdForApproval(
    tx: Queryable,
    device: Device,
    csr: AcceptedCsr,
    operation: 'simpleenroll' | 'simplereenroll',
    credential: EnrollmentCredential,
    pending: Awaited<ReturnType<PendingEnrollments['find']>>,
  ): Promise<EnrollmentOutcome | undefined> {
    if (!pending) {
      const tokenId = credential.kind === 'token' ? parseSecret(credential.token)?.id : undefined;
      await this.#o.pending.hold(
        tx,
        { actor: `device:${device.id}` },
        { deviceId: device.id, operation, csrDer: csr.der, tokenId },
      );
      return { kind: 'pending', retryAfterSeconds: RETRY_AFTER_SECONDS };
    }
    switch (pending.status) {
      case 'pending':
        return { kind: 'pending', retryAfterSeconds: RETRY_AFTER_SECONDS };
      case 'rejected':
        throw new EnrollmentError('ENROLLMENT_REJECTED', 'an operator rejected this enrollment');
      case 'issued':
        throw new EnrollmentError(
          'ENROLLMENT_REJECTED',
          'this request was already answered with a certificate; send a new CSR',
        );
      case 'approved':
        await this.#o.pending.markIssued(tx, pending.id);
        return undefined;
    }
  }

  async #issue(
    tx: Queryable,
    actor: string,
    device: Device,
    group: DeviceGroup,
    csr: AcceptedCsr,
    operation: Operation,
    idevid: IdevidProvenance | undefined,
    source: string,
  ): Promise<EnrollmentOutcome> {
    let publicKey = csr.publicKey;
    let privateKeyPkcs8: Uint8Array | undefined;
    if (operation === 'serverkeygen') {
      // RFC 7030 §4.4: the panel makes the key; without additional encryption it is protected by TLS alone.
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      privateKeyPkcs8 = new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
      publicKey = new x509.PublicKey(spkiOf(pair.publicKey));
    }
    const issued = await issueDeviceCertificate(
      this.#o.issuing,
      { deviceId: device.id, publicKey, validityDays: group.certificateValidityDays },
      this.#o.endpoints(),
      this.#o.now(),
    );
    await this.#o.registry.recordCertificate(
      tx,
      { actor, source },
      device.id,
      {
        serial: issued.serial,
        certificatePem: issued.certificatePem,
        subject: issued.certificate.subject,
        notBefore: issued.certificate.notBefore,
        notAfter: issued.certificate.notAfter,
        issuedVia: operation,
        keyAlgorithm: operation === 'serverkeygen' ? 'EC P-256' : csr.keyAlgorithm,
        issuerSerial: normalizeSerial(this.#o.issuing.certificate.serialNumber),
      },
      idevid,
    );
    const pkcs7 = certsOnlyPkcs7([issued.certificate]);
    return privateKeyPkcs8
      ? { kind: 'issued', pkcs7, serial: issued.serial, privateKeyPkcs8 }
      : { kind: 'issued', pkcs7, serial: issued.serial };
  }

  async #auditRefusal(
    actor: string,
    operation: Operation,
    deviceId: string,
    error: unknown,
    source: string,
  ): Promise<void> {
    if (!(error instanceof EnrollmentError)) return;
    await this.#o.audit.append({
      actor,
      action: `device.${operation}`,
      target: `device:${deviceId}`,
      outcome: 'failure',
      source,
      details: { code: error.code },
    });
  }
}

function describeRefusal(refusal: TokenRefusal): string {
  switch (refusal) {
    case 'unknown':
      return 'unknown token';
    case 'expired':
      return 'expired';
    case 'used':
      return 'already used';
    case 'wrong-device':
      return 'issued for another device';
  }
}

function subjectSerialNumber(certificate: X509Certificate): string | undefined {
  const parsed = new x509.X509Certificate(Buffer.from(certificate.raw));
  return parsed.subjectName.getField(SUBJECT_SERIAL_NUMBER)[0];
}

function spkiOf(key: KeyObject): ArrayBuffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}
