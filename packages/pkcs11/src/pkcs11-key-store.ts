import { createHash, timingSafeEqual, webcrypto } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import * as graphene from 'graphene-pk11';
import { Crypto as TokenCrypto, CryptoKey as TokenCryptoKey } from 'node-webcrypto-p11';
import { KeyStoreError } from './key-store-error.ts';
import { formatPkcs11Uri, type Pkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.ts';

/**
 * A CA signing key held by a PKCS#11 token. `privateKey` is a handle on the
 * token object (CKA_SENSITIVE, not CKA_EXTRACTABLE); `publicKey` is an
 * ordinary Node WebCrypto key made from the token's public point, so that it
 * works with any WebCrypto (SubjectKeyIdentifier, verification). `crypto`
 * sends every operation on a token key to the token and everything else to
 * Node's WebCrypto: pass it to `X509CertificateGenerator.create(params, crypto)`.
 */
export interface Pkcs11SigningKey {
  readonly label: string;
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
  readonly crypto: webcrypto.Crypto;
}

export interface Pkcs11KeyStore extends AsyncDisposable {
  readonly kind: 'pkcs11';
  /** Generates an ECDSA P-256 key pair on the token; `label` defaults to the URI's `object`. */
  createSigningKey(label?: string): Promise<Pkcs11SigningKey>;
  /** Finds the key pair by label (default: the URI's `object`) and the URI's `id`, if any. */
  loadSigningKey(label?: string): Promise<Pkcs11SigningKey>;
  /** Destroys the key pair under `label` (private and public objects); answers how many objects went. */
  destroySigningKey(label: string): Promise<number>;
  /** Closes the session; the module is finalised when its last store closes. Idempotent. */
  close(): Promise<void>;
}

// CK_RV values (pkcs11t.h).
const CKR_PIN_INCORRECT = 0xa0;
const CKR_PIN_INVALID = 0xa1;
const CKR_PIN_LEN_RANGE = 0xa2;
const CKR_PIN_EXPIRED = 0xa3;
const CKR_PIN_LOCKED = 0xa4;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;
const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
const PIN_REFUSED = new Set([
  CKR_PIN_INCORRECT,
  CKR_PIN_INVALID,
  CKR_PIN_LEN_RANGE,
  CKR_PIN_EXPIRED,
  CKR_PIN_LOCKED,
]);
// CKA_EC_PARAMS (pkcs11t.h), which EC private keys carry as well as public ones.
const CKA_EC_PARAMS = 0x180;
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
// DER of the prime256v1 OID (1.2.840.10045.3.1.7), the CKA_EC_PARAMS of a P-256 key.
const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

interface LoadedModule {
  readonly module: graphene.Module;
  users: number;
  /** False when something else in the process had initialised the module first. */
  readonly owned: boolean;
  /** SHA-256 of the PIN each slot was logged in with (see logIn). */
  readonly logins: Map<string, Buffer>;
}

// One C_Initialize per module per process: PKCS#11 allows one, and C_Finalize
// would end every other store's session, so stores share the module and the
// last one to close finalises it. Keyed by real path: two paths to one library
// load one library.
const modules = new Map<string, LoadedModule>();

/**
 * Opens the token a `pkcs11:` URI names (RFC 7512: `module-path`, `token`,
 * `serial`, `slot-id`, … select it; `pin-value` or `pin-source` unlock it)
 * and logs in. SoftHSM reads SOFTHSM2_CONF when the module is first
 * initialised in the process, so set it before the first open.
 */
export async function openPkcs11KeyStore(uriOrText: string | Pkcs11Uri): Promise<Pkcs11KeyStore> {
  const uri = typeof uriOrText === 'string' ? parsePkcs11Uri(uriOrText) : uriOrText;
  if (uri.modulePath === undefined) {
    throw new KeyStoreError(
      'PKCS11_URI_INVALID',
      'invalid PKCS#11 URI: module-path is required (the absolute path of the PKCS#11 library)',
      { details: { problems: [{ attribute: 'module-path', message: 'is required' }] } },
    );
  }
  if (uri.type !== undefined && uri.type !== 'private') {
    throw new KeyStoreError(
      'PKCS11_URI_INVALID',
      'invalid PKCS#11 URI: type must be "private" for a CA key',
      { details: { problems: [{ attribute: 'type', message: 'must be "private"' }] } },
    );
  }
  const pin = await readPin(uri);
  const modulePath = await moduleRealPath(uri.modulePath);
  const { module, logins } = acquireModule(modulePath);
  let session: graphene.Session | undefined;
  try {
    const slot = selectSlot(module, uri);
    session = openSession(slot);
    logIn(session, slot, pin, uri, logins);
    const tokenCrypto = new TokenCrypto({ session, name: formatPkcs11Uri(uri) });
    return new TokenKeyStore(uri, modulePath, session, tokenCrypto);
  } catch (error) {
    try {
      session?.close();
    } finally {
      releaseModule(modulePath);
    }
    throw error;
  }
}

class TokenKeyStore implements Pkcs11KeyStore {
  readonly kind = 'pkcs11';
  readonly #uri: Pkcs11Uri;
  readonly #modulePath: string;
  readonly #session: graphene.Session;
  readonly #token: TokenCrypto;
  readonly #crypto: webcrypto.Crypto;
  // A PKCS#11 session runs one operation at a time (C_SignInit while another
  // sign is active fails with CKR_OPERATION_ACTIVE), so every use of the
  // session waits its turn here.
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(uri: Pkcs11Uri, modulePath: string, session: graphene.Session, token: TokenCrypto) {
    this.#uri = uri;
    this.#modulePath = modulePath;
    this.#session = session;
    this.#token = token;
    this.#crypto = routedCrypto(token, (operation, work) =>
      this.#serial(work).catch((error: unknown) => {
        throw tokenFailure(`the token failed to ${operation}`, error);
      }),
    );
  }

  createSigningKey(label = this.#uri.object): Promise<Pkcs11SigningKey> {
    const name = requireLabel(label);
    return this.#serial(async () => {
      const id = this.#uri.id === undefined ? undefined : Buffer.from(this.#uri.id);
      const clashes =
        this.#findPrivateKeys({ label: name }).length + (id ? this.#findPrivateKeys({ id }).length : 0);
      if (clashes > 0) {
        const what = id === undefined ? `labelled "${name}"` : `labelled "${name}" or with the URI's id`;
        throw new KeyStoreError('PKCS11_KEY_EXISTS', `the token already holds a private key ${what}`, {
          details: { label: name },
        });
      }
      let pair: { privateKey: TokenCryptoKey; publicKey: TokenCryptoKey };
      try {
        // The private half is generated on the token with CKA_TOKEN, CKA_PRIVATE,
        // CKA_SENSITIVE and without CKA_EXTRACTABLE: it can sign, never be read.
        pair = (await this.#token.subtle.generateKey(
          { name: 'ECDSA', namedCurve: 'P-256', label: name, token: true, sensitive: true },
          false,
          ['sign', 'verify'],
        )) as unknown as typeof pair;
      } catch (error) {
        throw tokenFailure('the token failed to generate a P-256 key pair', error);
      }
      try {
        if (id !== undefined) {
          // node-webcrypto-p11 sets CKA_ID to a hash of the public key; the URI's id wins.
          pair.privateKey.key.id = id;
          pair.publicKey.key.id = id;
        }
        // Read the attributes back: a token may ignore parts of a template.
        assertSigningKey(pair.privateKey.key as graphene.PrivateKey, name);
      } catch (error) {
        pair.privateKey.key.destroy();
        pair.publicKey.key.destroy();
        throw tokenFailure('the token failed to label the new key pair', error);
      }
      return this.#signingKey(name, pair.privateKey, pair.publicKey);
    });
  }

  loadSigningKey(label = this.#uri.object): Promise<Pkcs11SigningKey> {
    const name = requireLabel(label);
    return this.#serial(async () => {
      const id = this.#uri.id === undefined ? {} : { id: Buffer.from(this.#uri.id) };
      const found = this.#findPrivateKeys({ label: name, ...id });
      const [object, ...others] = found;
      if (object === undefined) {
        throw new KeyStoreError('PKCS11_KEY_NOT_FOUND', `the token holds no private key labelled "${name}"`, {
          details: { label: name },
        });
      }
      if (others.length > 0) {
        throw new KeyStoreError(
          'PKCS11_AMBIGUOUS',
          `the token holds ${found.length} private keys labelled "${name}"; add id= to the URI`,
          { details: { label: name } },
        );
      }
      assertSigningKey(object, name);
      const publicObjects = this.#find({
        class: graphene.ObjectClass.PUBLIC_KEY,
        token: true,
        id: object.id,
      });
      const [publicObject] =
        publicObjects.length === 1 ? publicObjects.map((o) => o.toType<graphene.PublicKey>()) : [];
      if (publicObject === undefined) {
        throw new KeyStoreError(
          'PKCS11_KEY_NOT_FOUND',
          `the token holds no single public key with the CKA_ID of the private key "${name}"`,
          { details: { label: name } },
        );
      }
      const storage = this.#token.keyStorage;
      const privateKey = await storage.getItem(TokenCryptoKey.getID(object), ECDSA_P256, false, ['sign']);
      const publicKey = await storage.getItem(TokenCryptoKey.getID(publicObject), ECDSA_P256, true, [
        'verify',
      ]);
      return this.#signingKey(name, privateKey, publicKey);
    });
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      // Operations queued before close() still run; later ones find the store closed.
      this.#closing = this.#queue.then(() => {
        this.#closed = true;
        // Closing the application's last session also logs it out (PKCS#11 v2.40 §5.6 C_CloseSession).
        try {
          this.#session.close();
        } finally {
          releaseModule(this.#modulePath);
        }
      });
      this.#queue = this.#closing.catch(() => undefined);
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #signingKey(label: string, privateKey: TokenCryptoKey, tokenPublicKey: TokenCryptoKey) {
    const spki = await this.#token.subtle.exportKey('spki', tokenPublicKey);
    const publicKey = await webcrypto.subtle.importKey('spki', spki, ECDSA_P256, true, ['verify']);
    return {
      label,
      privateKey: privateKey as unknown as webcrypto.CryptoKey,
      publicKey,
      crypto: this.#crypto,
    };
  }

  destroySigningKey(label: string): Promise<number> {
    const name = requireLabel(label);
    return this.#serial(async () => {
      let destroyed = 0;
      for (const objectClass of [graphene.ObjectClass.PRIVATE_KEY, graphene.ObjectClass.PUBLIC_KEY]) {
        for (const object of this.#find({ class: objectClass, token: true, label: name })) {
          object.destroy();
          destroyed += 1;
        }
      }
      return destroyed;
    });
  }

  #findPrivateKeys(template: graphene.ITemplate): graphene.PrivateKey[] {
    return this.#find({ class: graphene.ObjectClass.PRIVATE_KEY, token: true, ...template }).map((object) =>
      object.toType<graphene.PrivateKey>(),
    );
  }

  #find(template: graphene.ITemplate): graphene.SessionObject[] {
    return [...this.#session.find(template)];
  }

  #serial<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) {
        throw new KeyStoreError('PKCS11_STORE_CLOSED', 'the PKCS#11 key store is closed');
      }
      return work();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

type TokenOperation = <T>(operation: string, work: () => Promise<T>) => Promise<T>;

/**
 * A WebCrypto whose subtle methods run on the token when an argument is a
 * token key, and on Node's WebCrypto otherwise. A CA signs certificates for
 * keys it does not hold (`create` exports the subject's Node public key with
 * the same `crypto`), so the token's WebCrypto alone would not do.
 */
function routedCrypto(token: TokenCrypto, onToken: TokenOperation): webcrypto.Crypto {
  const tokenSubtle = token.subtle as unknown as Record<PropertyKey, unknown>;
  const subtle = new Proxy(webcrypto.subtle, {
    get(target, property) {
      const nodeMethod: unknown = Reflect.get(target, property, target);
      if (typeof nodeMethod !== 'function') return nodeMethod;
      return (...args: unknown[]) => {
        if (!args.some((arg) => arg instanceof TokenCryptoKey))
          return Reflect.apply(nodeMethod, target, args);
        const tokenMethod = tokenSubtle[property];
        if (typeof tokenMethod !== 'function') throw new TypeError(`the token cannot ${String(property)}`);
        return onToken(
          String(property),
          () => Reflect.apply(tokenMethod, token.subtle, args) as Promise<unknown>,
        );
      };
    },
  });
  const crypto = {
    subtle,
    getRandomValues: <T extends ArrayBufferView | null>(array: T): T =>
      webcrypto.getRandomValues(array as never),
    randomUUID: () => webcrypto.randomUUID(),
  };
  return crypto as unknown as webcrypto.Crypto;
}

/**
 * The PIN a URI gives, from `pin-value` or the `pin-source` file, for code
 * that must hand it to another PKCS#11 consumer (OpenSSL's engine for TLS).
 */
export async function readPkcs11Pin(uri: Pkcs11Uri): Promise<string | undefined> {
  return readPin(uri);
}

async function readPin(uri: Pkcs11Uri): Promise<string | undefined> {
  if (uri.pinValue !== undefined) return uri.pinValue.reveal();
  if (uri.pinSource === undefined) return undefined;
  try {
    // One trailing newline is the file's, not the PIN's (`echo 1234 > pin`).
    return (await readFile(uri.pinSource, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new KeyStoreError('PKCS11_PIN_UNAVAILABLE', `cannot read the PIN file ${uri.pinSource} (${code})`, {
      cause: error,
      details: { pinSource: uri.pinSource },
    });
  }
}

async function moduleRealPath(modulePath: string): Promise<string> {
  try {
    return await realpath(modulePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new KeyStoreError(
      'PKCS11_MODULE_UNAVAILABLE',
      `cannot find the PKCS#11 module ${modulePath} (${code})`,
      { cause: error, details: { modulePath } },
    );
  }
}

function acquireModule(modulePath: string): LoadedModule {
  const loaded = modules.get(modulePath);
  if (loaded !== undefined) {
    loaded.users += 1;
    return loaded;
  }
  let module: graphene.Module;
  try {
    module = graphene.Module.load(modulePath, modulePath);
  } catch (error) {
    throw new KeyStoreError(
      'PKCS11_MODULE_UNAVAILABLE',
      `cannot load the PKCS#11 module ${modulePath}: ${reason(error)}`,
      { cause: error, details: { modulePath } },
    );
  }
  let owned = true;
  try {
    module.initialize();
  } catch (error) {
    if (pkcs11Code(error) === CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      owned = false;
    } else {
      module.close();
      throw new KeyStoreError(
        'PKCS11_MODULE_UNAVAILABLE',
        `the PKCS#11 module ${modulePath} failed to initialise (${reason(error)}); check its configuration (SoftHSM: SOFTHSM2_CONF)`,
        { cause: error, details: { modulePath } },
      );
    }
  }
  const fresh = { module, users: 1, owned, logins: new Map<string, Buffer>() };
  modules.set(modulePath, fresh);
  return fresh;
}

function releaseModule(modulePath: string): void {
  const loaded = modules.get(modulePath);
  if (loaded === undefined) return;
  loaded.users -= 1;
  if (loaded.users > 0) return;
  modules.delete(modulePath);
  try {
    if (loaded.owned) loaded.module.finalize();
  } finally {
    loaded.module.close();
  }
}

/** RFC 7512 §2.3: the URI's library, slot and token attributes must all match; exactly one token may. */
function selectSlot(module: graphene.Module, uri: Pkcs11Uri): graphene.Slot {
  const libraryMatches =
    same(uri.libraryManufacturer, module.manufacturerID) &&
    same(uri.libraryDescription, module.libraryDescription) &&
    (uri.libraryVersion === undefined ||
      (uri.libraryVersion.major === module.libraryVersion.major &&
        uri.libraryVersion.minor === module.libraryVersion.minor));
  const matches: graphene.Slot[] = [];
  const available: { label: string; serial: string }[] = [];
  let slots: graphene.SlotCollection;
  try {
    slots = module.getSlots(true);
  } catch (error) {
    throw new KeyStoreError(
      'PKCS11_MODULE_UNAVAILABLE',
      `cannot list the module's slots (${reason(error)})`,
      { cause: error },
    );
  }
  for (const slot of slots) {
    const token = slot.getToken();
    // An uninitialised token (SoftHSM's free slot) has no label or PIN yet.
    if ((token.flags & graphene.TokenFlag.TOKEN_INITIALIZED) === 0) continue;
    available.push({ label: token.label.trimEnd(), serial: token.serialNumber.trimEnd() });
    if (
      libraryMatches &&
      same(uri.token, token.label) &&
      same(uri.manufacturer, token.manufacturerID) &&
      same(uri.model, token.model) &&
      same(uri.serial, token.serialNumber) &&
      same(uri.slotDescription, slot.slotDescription) &&
      same(uri.slotManufacturer, slot.manufacturerID) &&
      (uri.slotId === undefined || uri.slotId === slotId(slot))
    ) {
      matches.push(slot);
    }
  }
  const [slot, ...others] = matches;
  const wanted = formatPkcs11Uri(uri);
  if (slot === undefined) {
    throw new KeyStoreError('PKCS11_TOKEN_NOT_FOUND', `no initialised token matches ${wanted}`, {
      details: { available },
    });
  }
  if (others.length > 0) {
    throw new KeyStoreError(
      'PKCS11_AMBIGUOUS',
      `${matches.length} tokens match ${wanted}; add token=, serial= or slot-id= to the URI`,
      { details: { available } },
    );
  }
  return slot;
}

function openSession(slot: graphene.Slot): graphene.Session {
  try {
    return slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
  } catch (error) {
    throw tokenFailure('cannot open a session on the token', error);
  }
}

function logIn(
  session: graphene.Session,
  slot: graphene.Slot,
  pin: string | undefined,
  uri: Pkcs11Uri,
  logins: Map<string, Buffer>,
): void {
  const token = slot.getToken();
  if ((token.flags & graphene.TokenFlag.LOGIN_REQUIRED) === 0) return;
  const label = token.label.trimEnd();
  if (pin === undefined) {
    throw new KeyStoreError(
      'PKCS11_PIN_UNAVAILABLE',
      `the token "${label}" needs a PIN: add pin-source (or pin-value) to ${formatPkcs11Uri(uri)}`,
      { details: { token: label } },
    );
  }
  const slotKey = slot.handle.toString('hex');
  const digest = createHash('sha256').update(pin, 'utf8').digest();
  try {
    session.login(pin);
    logins.set(slotKey, digest);
  } catch (error) {
    const code = pkcs11Code(error);
    // The login state belongs to the application, not the session (PKCS#11 v2.40 §5.6):
    // another store in this process is logged in already, and the token does not check
    // this PIN at all. Compare it with the one that logged in instead of waving it through.
    const known = logins.get(slotKey);
    if (code === CKR_USER_ALREADY_LOGGED_IN && known !== undefined && timingSafeEqual(known, digest)) return;
    // Only the CKR_ name goes into the message, never the PIN.
    let message = `cannot log in to the token "${label}" (${reason(error)})`;
    if (code !== undefined && PIN_REFUSED.has(code)) {
      message = `the token "${label}" refused the PIN (${reason(error)})`;
    } else if (code === CKR_USER_ALREADY_LOGGED_IN) {
      message =
        known === undefined
          ? `the token "${label}" is logged in by other code in this process, so the PIN cannot be checked`
          : `the PIN differs from the one the token "${label}" is logged in with in this process`;
    }
    throw new KeyStoreError('PKCS11_LOGIN_FAILED', message, { cause: error, details: { token: label } });
  }
}

/** A CA key must sign with ECDSA P-256 and must not be able to leave the token. */
function assertSigningKey(key: graphene.PrivateKey, label: string): void {
  const problems: string[] = [];
  if (key.type !== graphene.KeyType.EC) problems.push('it is not an EC key');
  else if (!P256_EC_PARAMS.equals(key.get(CKA_EC_PARAMS))) {
    problems.push('its curve is not P-256');
  }
  if (!key.sign) problems.push('CKA_SIGN is false');
  if (!key.sensitive) problems.push('CKA_SENSITIVE is false');
  if (key.extractable) problems.push('CKA_EXTRACTABLE is true');
  if (problems.length > 0) {
    throw new KeyStoreError(
      'PKCS11_KEY_UNSUITABLE',
      `the private key "${label}" cannot be a CA key: ${problems.join(', ')}`,
      { details: { label, problems } },
    );
  }
}

function requireLabel(label: string | undefined): string {
  if (label === undefined || label === '') {
    throw new KeyStoreError(
      'PKCS11_URI_INVALID',
      'no key label: pass one, or name the key with object= in the URI',
      { details: { problems: [{ attribute: 'object', message: 'is required' }] } },
    );
  }
  return label;
}

function tokenFailure(what: string, error: unknown): unknown {
  if (error instanceof KeyStoreError || pkcs11Code(error) === undefined) return error;
  return new KeyStoreError('PKCS11_OPERATION_FAILED', `${what} (${reason(error)})`, { cause: error });
}

/** PKCS#11 (token-side) strings are blank-padded: compare without the padding. */
function same(wanted: string | undefined, actual: string): boolean {
  return wanted === undefined || wanted === actual.trimEnd();
}

function slotId(slot: graphene.Slot): number {
  // CK_SLOT_ID is a CK_ULONG, in the host's byte order (little-endian on x86-64 and arm64).
  const handle = slot.handle;
  return handle.length >= 8 ? Number(handle.readBigUInt64LE(0)) : handle.readUInt32LE(0);
}

function pkcs11Code(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
