import { X509Certificate } from 'node:crypto';
import type { RootOfTrustFacts } from './root-of-trust.ts';
import { handleHex, type TpmTools } from './tpm-tools.ts';

/**
 * TCG EK Credential Profile 2.x §2.2.1.5: NV indices of EK certificates,
 * RSA 2048 and ECC P-256 (low range) first, then the high range.
 */
const EK_CERTIFICATE_INDICES = [
  0x01c00002, 0x01c0000a, 0x01c00012, 0x01c00014, 0x01c00016, 0x01c00018, 0x01c0001c, 0x01c0001e,
];

type Property = { raw?: unknown; value?: unknown } | undefined;

/** What `tpm2_getcap properties-fixed` and the EK certificate NV indices say about the TPM. */
export async function readTpmFacts(tools: TpmTools): Promise<RootOfTrustFacts> {
  const properties = ((await tools.yaml('tpm2_getcap', ['properties-fixed'])) ?? {}) as Record<
    string,
    Property
  >;
  const text = (name: string) => {
    const value = properties[name]?.value;
    return typeof value === 'string' ? value : '';
  };
  const raw = (name: string) => {
    const value = properties[name]?.raw;
    return typeof value === 'number' ? value : undefined;
  };
  const manufacturer = text('TPM2_PT_MANUFACTURER').trim();
  // TPM 2.0 Part 2 §6.13: TPM_PT_VENDOR_STRING_1..4 concatenate to the vendor's model string.
  const model = [1, 2, 3, 4]
    .map((n) => text(`TPM2_PT_VENDOR_STRING_${n}`))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  const v1 = raw('TPM2_PT_FIRMWARE_VERSION_1');
  const v2 = raw('TPM2_PT_FIRMWARE_VERSION_2');
  // Part 2 §6.13: vendor-defined, conventionally major.minor in the halves of version 1, then version 2.
  const firmwareVersion =
    v1 === undefined
      ? undefined
      : [v1 >>> 16, v1 & 0xffff, ...(v2 === undefined ? [] : [v2 >>> 16, v2 & 0xffff])].join('.');
  const endorsementCertificatePem = await readEkCertificate(tools);
  return {
    kind: 'tpm',
    hardwareBacked: true,
    ...(manufacturer === '' ? {} : { manufacturer }),
    ...(model === '' ? {} : { model }),
    ...(firmwareVersion === undefined ? {} : { firmwareVersion }),
    ...(endorsementCertificatePem === undefined ? {} : { endorsementCertificatePem }),
  };
}

async function readEkCertificate(tools: TpmTools): Promise<string | undefined> {
  const listed = await tools.yaml('tpm2_getcap', ['handles-nv-index']);
  const present = new Set((Array.isArray(listed) ? listed : []).map((entry) => Number(entry)));
  for (const index of EK_CERTIFICATE_INDICES) {
    if (!present.has(index)) continue;
    const der = await tools.bytes('tpm2_nvread', [handleHex(index)]).catch(() => undefined);
    if (der === undefined) continue;
    try {
      // Some TPMs pad the index; the DER parser stops at the certificate's own length.
      return new X509Certificate(der).toString();
    } catch {
      // Not a certificate (vendor data in a reserved index): try the next one.
    }
  }
  return undefined;
}
