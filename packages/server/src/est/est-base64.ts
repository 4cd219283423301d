import { EnrollmentError } from './enrollment-error.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * EST bodies are base64 (RFC 7030 §4; RFC 8951 §3: with or without line
 * breaks, and the Content-Transfer-Encoding header is not relied on).
 * Anything outside the alphabet is refused rather than skipped, which
 * Buffer.from(…, 'base64') would silently do.
 */
export function decodeEstBase64(body: string): Uint8Array {
  const compact = body.replace(/[\r\n\t ]+/g, '');
  if (compact.length === 0 || !BASE64.test(compact) || compact.length % 4 === 1) {
    throw new EnrollmentError('EST_BASE64_INVALID', 'the body is not base64 (RFC 7030 §4, RFC 8951)');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Base64 on one line (RFC 4648 §3.1: no line feeds unless the referring
 * specification asks for them). Clients such as strongSwan's `pki --est`
 * decode the body without skipping whitespace, so a wrapped answer reaches
 * them corrupt; `openssl base64 -d` needs `-A` for it.
 */
export function encodeEstBase64(der: Uint8Array): string {
  return Buffer.from(der).toString('base64');
}
