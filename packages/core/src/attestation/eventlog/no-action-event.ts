/**
 * EV_NO_ACTION events (PFP §10.4.5) are logged but never extended. Their
 * data starts with a 16-byte NUL-padded signature saying what they are.
 */
import type { DecodedEventData } from './event-log.ts';
import { isSpecIdEvent03, parseSpecIdEvent } from './spec-id-event.ts';

const STARTUP_LOCALITY = 'StartupLocality\0';
const SIGNATURE_BYTES = 16;

/**
 * The locality of a TCG_EfiStartupLocalityEvent (PFP §10.4.5.3): the
 * signature `StartupLocality\0` then one byte, the locality TPM2_Startup came
 * from (0 or 3) or 4 when an H-CRTM sequence started the TPM. That value is
 * PCR[0]'s initial value in every bank. Undefined if the data is anything else.
 */
export function startupLocalityOf(eventData: Uint8Array): number | undefined {
  if (eventData.length !== SIGNATURE_BYTES + 1) return undefined;
  for (let i = 0; i < SIGNATURE_BYTES; i += 1) {
    if (eventData[i] !== STARTUP_LOCALITY.charCodeAt(i)) return undefined;
  }
  return eventData[SIGNATURE_BYTES];
}

/** Decodes an EV_NO_ACTION event's data: Spec ID, StartupLocality, or any other printable signature. */
export function decodeNoAction(eventData: Uint8Array, base: number): DecodedEventData | undefined {
  const locality = startupLocalityOf(eventData);
  if (locality !== undefined) return { kind: 'startup-locality', locality };
  if (isSpecIdEvent03(eventData)) return parseSpecIdEvent(eventData, base);
  if (eventData.length < SIGNATURE_BYTES) return undefined;
  let signature = '';
  for (let i = 0; i < SIGNATURE_BYTES; i += 1) {
    const c = eventData[i] ?? 0;
    if (c === 0) break;
    if (c < 0x20 || c > 0x7e) return undefined;
    signature += String.fromCharCode(c);
  }
  return signature === '' ? undefined : { kind: 'no-action', signature };
}
