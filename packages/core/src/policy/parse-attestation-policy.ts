import type { AttestationPolicy } from './attestation-policy.ts';
import { ATTESTATION_FAILURE_RESPONSES, ATTESTATION_LIMITS } from './attestation-policy.ts';
import type { Report } from './policy-input.ts';
import { arrayAt, booleanAt, integerAt, objectAt, oneOfAt } from './policy-input.ts';

/** Parses an `attestation` document; the PCR list comes out in ascending order. */
export function parseAttestationPolicy(input: unknown, path: string, report: Report): AttestationPolicy {
  const doc = objectAt(
    input,
    path,
    ['pcrSelection', 'intervalSeconds', 'maxAgeSeconds', 'onFailure', 'requireSecureBoot', 'includeImaLog'],
    report,
  );
  const r = doc.report;
  const selection = objectAt(doc.value.pcrSelection, `${path}/pcrSelection`, ['sha256'], r);
  const sha256 = arrayAt(
    selection.value.sha256,
    `${path}/pcrSelection/sha256`,
    { minItems: 1, maxItems: ATTESTATION_LIMITS.pcr.max + 1, unique: true },
    (item, at) => integerAt(item, at, ATTESTATION_LIMITS.pcr, selection.report),
    selection.report,
  );
  return {
    // TPM 2.0 Part 2 §10.6: a selection is a bitmap, so order carries no meaning; sorted, two documents that select the same PCRs compare equal.
    pcrSelection: { sha256: sha256.toSorted((a, b) => a - b) },
    intervalSeconds: integerAt(
      doc.value.intervalSeconds,
      `${path}/intervalSeconds`,
      ATTESTATION_LIMITS.intervalSeconds,
      r,
    ),
    maxAgeSeconds: integerAt(
      doc.value.maxAgeSeconds,
      `${path}/maxAgeSeconds`,
      ATTESTATION_LIMITS.maxAgeSeconds,
      r,
    ),
    onFailure: oneOfAt(doc.value.onFailure, `${path}/onFailure`, ATTESTATION_FAILURE_RESPONSES, r),
    requireSecureBoot: booleanAt(doc.value.requireSecureBoot, `${path}/requireSecureBoot`, r),
    includeImaLog: booleanAt(doc.value.includeImaLog, `${path}/includeImaLog`, r),
  };
}
