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

/** Base64 wrapped at 64 columns, which old EST clients expect and new ones accept. */
export function encodeEstBase64(der: Uint8Array): string {
  const flat = Buffer.from(der).toString('base64');
  return `${flat.match(/.{1,64}/g)?.join('\r\n') ?? ''}\r\n`;
}
