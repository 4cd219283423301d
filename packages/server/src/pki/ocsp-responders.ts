import type { OcspResponder } from './ocsp-responder.ts';

/**
 * One OCSP URL for several issuing CAs (the current one and those retired but
 * not expired). A response has one signer, and a delegated signer may only
 * answer for the CA that issued it (RFC 6960 §4.2.2.2), so each request goes
 * to the responder of the issuer its first matching CertID names (by
 * issuerNameHash and issuerKeyHash, §4.1.1); CertIDs of another issuer in the
 * same request are answered `unknown`. A request naming no issuer of ours
 * goes to the first (current) responder, which answers `unknown` throughout.
 */
export class OcspResponders {
  readonly #responders: readonly OcspResponder[];

  constructor(responders: readonly OcspResponder[]) {
    if (responders.length === 0) throw new RangeError('at least one OCSP responder is needed');
    this.#responders = responders;
  }

  respond(requestDer: Uint8Array): Promise<Uint8Array> {
    const responder =
      this.#responders.find((r) => r.answersFor(requestDer)) ?? (this.#responders[0] as OcspResponder);
    return responder.respond(requestDer);
  }
}
