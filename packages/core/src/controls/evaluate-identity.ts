/** ID-1, ID-2, ID-3: the operational certificate, its management over EST, the IDevID provenance. */

import type { ControlEvaluator } from './control-evaluator.ts';
import { met, notMet } from './control-result.ts';
import { certificateProblem, certificateRef } from './evidence-checks.ts';

export const NO_CERTIFICATE = 'No operational certificate (LDevID) has been issued to the device';
export const ENROLL_REMEDY =
  'Enroll the device over EST with an enrollment token or its manufacturer IDevID (palisade device enroll)';
const RENEW_REMEDY =
  "Check the agent's renewal (identity.renewal-failed events); if it cannot recover, enroll the device again with a new token";
/** The agent renews at two thirds of the lifetime; past this share without a renewal, renewal has failed. */
export const RENEWAL_OVERDUE_SHARE = 0.8;

export const evaluateId1: ControlEvaluator = (e, now) => {
  const certificate = e.certificate;
  if (!certificate) return notMet('ID-1', NO_CERTIFICATE, ENROLL_REMEDY);
  const refs = [certificateRef(certificate)];
  const problem = certificateProblem(certificate, now);
  if (problem)
    return notMet(
      'ID-1',
      `${problem}: the device holds no valid operational certificate`,
      certificate.revokedAt !== undefined
        ? "Find out why it was revoked; a revoked device can't re-enroll and must be registered and enrolled anew"
        : RENEW_REMEDY,
      refs,
    );
  return met(
    'ID-1',
    `Certificate ${certificate.serial} (${certificate.keyAlgorithm}) issued by the panel's CA at ${certificate.issuedAt}, valid until ${certificate.notAfter}, not revoked`,
    refs,
  );
};

export const evaluateId2: ControlEvaluator = (e, now) => {
  const certificate = e.certificate;
  if (!certificate) return notMet('ID-2', NO_CERTIFICATE, ENROLL_REMEDY);
  const refs = [certificateRef(certificate)];
  const history = `${e.renewals.reenrollments} renewal(s) over EST simplereenroll${e.renewals.lastReenrolledAt ? `, the last at ${e.renewals.lastReenrolledAt}` : ''}`;
  if (certificate.revokedAt !== undefined)
    return met(
      'ID-2',
      `Issued over EST (${certificate.issuedVia}) at ${certificate.issuedAt}, ${history}; its revocation at ${certificate.revokedAt} is published in the panel's CRL and OCSP answers`,
      refs,
    );
  const notBefore = Date.parse(certificate.notBefore);
  const notAfter = Date.parse(certificate.notAfter);
  if (notAfter <= now.getTime())
    return notMet(
      'ID-2',
      `Certificate ${certificate.serial} expired at ${certificate.notAfter} without being renewed over EST`,
      RENEW_REMEDY,
      refs,
    );
  const overdueAt = new Date(notBefore + (notAfter - notBefore) * RENEWAL_OVERDUE_SHARE);
  if (now.getTime() >= overdueAt.getTime())
    return notMet(
      'ID-2',
      `Certificate ${certificate.serial} passed ${RENEWAL_OVERDUE_SHARE * 100} % of its lifetime at ${overdueAt.toISOString()} and has not been renewed (the agent renews at two thirds)`,
      RENEW_REMEDY,
      refs,
    );
  return met(
    'ID-2',
    `Issued over EST (${certificate.issuedVia}) at ${certificate.issuedAt}, ${history}; renewal is due before ${overdueAt.toISOString()}; revocations are published in the panel's CRL and OCSP answers`,
    refs,
  );
};

export const evaluateId3: ControlEvaluator = (e) => {
  const idevid = e.idevid;
  if (!idevid)
    return notMet(
      'ID-3',
      e.certificate
        ? 'The device enrolled with a one-time enrollment token, not a manufacturer IDevID: there is no supply-chain provenance'
        : 'The device has not enrolled with a manufacturer IDevID: there is no supply-chain provenance',
      "Trust the manufacturer's CA, claim the device by its IDevID and let it enroll with the IDevID",
    );
  const refs = [{ kind: 'idevid' as const, id: idevid.serial ?? e.deviceId }];
  if (!idevid.chainStored)
    return notMet(
      'ID-3',
      `The device is claimed by its IDevID (manufacturer ${idevid.manufacturer}) but has not enrolled with it: no provenance chain is stored`,
      'Let the device enroll with its IDevID',
      refs,
    );
  return met(
    'ID-3',
    `Enrolled with an IDevID${idevid.serial ? ` (serial ${idevid.serial})` : ''} chaining to trusted manufacturer ${idevid.manufacturer}; the chain is stored with the device`,
    refs,
  );
};
