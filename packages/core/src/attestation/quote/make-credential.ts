import {
  constants,
  createCipheriv,
  createHmac,
  diffieHellman,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { QuoteError } from './quote-error.ts';
import { hashSize, TPM_ALG, type TpmHashName, tpmCurve, tpmHash } from './tpm-algorithms.ts';
import { cString, kdfa, kdfe } from './tpm-kdf.ts';
import {
  nameHash,
  parseTpm2bPublic,
  type TpmEccPublic,
  type TpmPublic,
  type TpmRsaPublic,
} from './tpm-public.ts';
import { fixedLength, tpmPublicKeyObject } from './tpm-public-key.ts';

export interface MakeCredentialInput {
  /** The device's EK: TPM2B_PUBLIC bytes (`tpm2_createek -u`, RSA 2048 or ECC P-256 template), or decoded. */
  readonly ekPublic: Uint8Array | TpmPublic;
  /** The Name of the AK the credential is bound to (`tpm2_createak -n`): nameAlg || digest. */
  readonly akName: Uint8Array;
  /** What the TPM releases on activation: 1 byte up to the EK nameAlg's digest size (32 for SHA-256). */
  readonly secret: Uint8Array;
}

/** The outputs of TPM2_MakeCredential (Part 3), raw and as tpm2-tools stores them. */
export interface Credential {
  /** The TPM2B_ID_OBJECT's bytes without its size: TPM2B_DIGEST(integrityHMAC) || encIdentity. */
  readonly credentialBlob: Uint8Array;
  /** The TPM2B_ENCRYPTED_SECRET's bytes without its size: the seed, RSA-OAEP encrypted or as an ECC point. */
  readonly encryptedSecret: Uint8Array;
  /**
   * What `tpm2_makecredential -o` writes and `tpm2_activatecredential -i`
   * reads: magic 0xBADCC0DE, version 1 (both UINT32 big-endian), then the
   * TPM2B_ID_OBJECT and the TPM2B_ENCRYPTED_SECRET. The agent activates with
   * `tpm2_activatecredential -c <ak> -C <ek> -i cred.bin -o secret.bin -P session:<EK policy session>`.
   */
  readonly tpm2ToolsFile: Uint8Array;
}

/** tpm2-tools' file header (lib/files.c files_write_header). */
export const TPM2_TOOLS_CREDENTIAL_MAGIC = 0xbadcc0de;

/**
 * TPM2_MakeCredential done by the panel, without a TPM (Part 1 §24, "Credential
 * Protection"): a fresh seed is shared with the EK (Part 1 Annex B: RSA-OAEP; or
 * Annex C: one-pass ECDH + KDFe, label "IDENTITY"), then
 *
 *   symKey     = KDFa(nameAlg, seed, "STORAGE", akName, "", EK symmetric key bits)
 *   encIdentity = AES-CFB(symKey, IV = 0, TPM2B_DIGEST(secret))
 *   hmacKey    = KDFa(nameAlg, seed, "INTEGRITY", "", "", digest bits)
 *   outerHMAC  = HMAC(nameAlg, hmacKey, encIdentity || akName)
 *
 * Only the TPM holding the EK's private key, with a loaded object of that
 * exact Name, releases the secret (TPM2_ActivateCredential): this is what
 * binds the AK to the EK.
 *
 * @throws QuoteError CREDENTIAL_EK_UNSUPPORTED, CREDENTIAL_INPUT_INVALID, or
 *   QUOTE_MALFORMED / QUOTE_UNSUPPORTED_ALGORITHM from decoding the EK.
 */
export function makeCredential(input: MakeCredentialInput): Credential {
  const ek = input.ekPublic instanceof Uint8Array ? parseTpm2bPublic(input.ekPublic) : input.ekPublic;
  const cipher = storageCipher(ek);
  const hash = nameHash(ek);
  assertName(input.akName);
  if (input.secret.length === 0 || input.secret.length > hashSize(hash))
    throw new QuoteError(
      'CREDENTIAL_INPUT_INVALID',
      `the credential secret is ${input.secret.length} bytes; TPM2_MakeCredential takes 1…${hashSize(hash)} for a ${hash} EK`,
    );

  const { seed, encryptedSecret } = ek.type === 'rsa' ? rsaSeed(ek, hash) : eccSeed(ek, hash);
  const symKey = kdfa(hash, seed, 'STORAGE', input.akName, new Uint8Array(), cipher.keyBits);
  const encryptor = createCipheriv(cipher.name, symKey, Buffer.alloc(16));
  const encIdentity = Buffer.concat([encryptor.update(sized(input.secret)), encryptor.final()]);
  const hmacKey = kdfa(hash, seed, 'INTEGRITY', new Uint8Array(), new Uint8Array(), hashSize(hash) * 8);
  const outerHmac = createHmac(hash, hmacKey).update(encIdentity).update(input.akName).digest();

  const credentialBlob = new Uint8Array(Buffer.concat([sized(outerHmac), encIdentity]));
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, TPM2_TOOLS_CREDENTIAL_MAGIC);
  new DataView(header.buffer).setUint32(4, 1);
  const tpm2ToolsFile = new Uint8Array(
    Buffer.concat([header, sized(credentialBlob), sized(encryptedSecret)]),
  );
  return { credentialBlob, encryptedSecret, tpm2ToolsFile };
}

/** Part 1 §24: the credential is encrypted with the EK's own symmetric algorithm, which must be AES in CFB mode. */
function storageCipher(ek: TpmPublic): { name: string; keyBits: number } {
  const { restricted, decrypt, sign, fixedTPM } = ek.objectAttributes;
  if (!restricted || !decrypt || sign || !fixedTPM)
    throw new QuoteError(
      'CREDENTIAL_EK_UNSUPPORTED',
      'the endorsement key is not a restricted, fixedTPM decryption (storage) key',
    );
  const symmetric = ek.parameters.symmetric;
  if (
    symmetric === null ||
    symmetric.algorithm !== TPM_ALG.AES ||
    symmetric.mode !== TPM_ALG.CFB ||
    ![128, 192, 256].includes(symmetric.keyBits)
  )
    throw new QuoteError(
      'CREDENTIAL_EK_UNSUPPORTED',
      "the endorsement key's symmetric algorithm is not AES-CFB",
    );
  return { name: `aes-${symmetric.keyBits}-cfb`, keyBits: symmetric.keyBits };
}

/** A Name is nameAlg || H(public area) (Part 1, Names); a handle-sized name cannot hold a credential. */
function assertName(name: Uint8Array): void {
  const hash = name.length >= 2 ? tpmHash((name[0] ?? 0) * 256 + (name[1] ?? 0)) : undefined;
  if (hash === undefined || name.length !== 2 + hash.size)
    throw new QuoteError(
      'CREDENTIAL_INPUT_INVALID',
      `the AK name is ${name.length} bytes, not a hash algorithm id followed by its digest`,
    );
}

/** Part 1 Annex B (RSA secret sharing): the seed, RSA-OAEP encrypted with the EK's nameAlg and the label "IDENTITY\0". */
function rsaSeed(ek: TpmRsaPublic, nameHash: TpmHashName): { seed: Uint8Array; encryptedSecret: Uint8Array } {
  const seed = randomBytes(hashSize(nameHash));
  const encryptedSecret = publicEncrypt(
    {
      key: tpmPublicKeyObject(ek),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: nameHash,
      oaepLabel: cString('IDENTITY'),
    },
    seed,
  );
  return { seed, encryptedSecret: new Uint8Array(encryptedSecret) };
}

/**
 * Part 1 Annex C (ECC secret sharing): one-pass ECDH with an ephemeral key on the EK's curve;
 * seed = KDFe(nameAlg, Z.x, "IDENTITY", ephemeral.x, EK.x), and the encrypted
 * secret is the ephemeral public point (TPMS_ECC_POINT).
 */
function eccSeed(ek: TpmEccPublic, nameHash: TpmHashName): { seed: Uint8Array; encryptedSecret: Uint8Array } {
  // Also checks that the EK's point is on a supported curve.
  const ekKey = tpmPublicKeyObject(ek);
  const curve = tpmCurve(ek.parameters.curveId);
  if (curve === undefined)
    throw new QuoteError('CREDENTIAL_EK_UNSUPPORTED', 'the endorsement key is not on a supported curve');
  const ephemeral = generateKeyPairSync('ec', { namedCurve: curve.ecdh });
  const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: ekKey });
  const point = ephemeral.publicKey.export({ format: 'jwk' });
  const x = fixedLength(Buffer.from(point.x ?? '', 'base64url'), curve.size) ?? new Uint8Array();
  const y = fixedLength(Buffer.from(point.y ?? '', 'base64url'), curve.size) ?? new Uint8Array();
  // PartyVInfo is the EK's x exactly as in its public area: the bytes the TPM uses on activation.
  const seed = kdfe(nameHash, z, 'IDENTITY', x, ek.unique.x, hashSize(nameHash) * 8);
  return { seed, encryptedSecret: new Uint8Array(Buffer.concat([sized(x), sized(y)])) };
}

/** A TPM2B: UINT16 big-endian size, then the bytes. */
function sized(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + bytes.length);
  new DataView(out.buffer).setUint16(0, bytes.length);
  out.set(bytes, 2);
  return out;
}
