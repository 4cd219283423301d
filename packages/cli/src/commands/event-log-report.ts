import type { DecodedEventData, EventLog, ReplayedPcrs } from '@palisade/core';
import { formatTable, json } from '../text-output.ts';

const DIGEST_CHARS = 16;
const DETAILS_CHARS = 80;

/** One line per event, then each bank's PCR values; every log-controlled string goes through `printable`. */
export function eventLogText(log: EventLog, pcrs: ReplayedPcrs): string {
  const bank = log.algorithms.some((algorithm) => algorithm.name === 'sha256') ? 'sha256' : 'sha1';
  const rows = log.events.map((event) => [
    String(event.index),
    String(event.pcr),
    event.typeName,
    (event.digests[bank] ?? '-').slice(0, DIGEST_CHARS),
    event.decoded === undefined ? '' : summary(event.decoded),
  ]);
  const header =
    `TCG event log: ${log.format}, ${log.events.length} events, ` +
    `banks ${log.algorithms.map((algorithm) => algorithm.name).join(', ')}\n\n`;
  const banks = [...pcrs]
    .map(
      ([name, values]) =>
        `\nPCRs (${name}):\n${[...values].map(([pcr, value]) => `  ${String(pcr).padStart(2)}  ${value}\n`).join('')}`,
    )
    .join('');
  return header + formatTable(['#', 'PCR', 'TYPE', bank.toUpperCase(), 'DETAILS'], rows) + banks;
}

/** The parsed log and its replay; event data in base64, PCRs by bank then index. */
export function eventLogJson(log: EventLog, pcrs: ReplayedPcrs): string {
  return json({
    format: log.format,
    algorithms: log.algorithms,
    events: log.events.map((event) => ({
      ...event,
      eventData: Buffer.from(event.eventData).toString('base64'),
    })),
    pcrs: Object.fromEntries([...pcrs].map(([name, values]) => [name, Object.fromEntries(values)])),
  });
}

function summary(decoded: DecodedEventData): string {
  return shorten(describe(decoded).replace(/\s+/g, ' ').trim());
}

function describe(decoded: DecodedEventData): string {
  switch (decoded.kind) {
    case 'spec-id':
      return `${decoded.signature}, spec ${decoded.specVersion}: ${decoded.algorithms.map((a) => a.name).join(', ')}`;
    case 'startup-locality':
      return `StartupLocality ${decoded.locality}`;
    case 'no-action':
      return decoded.signature;
    case 'uefi-variable':
      if (decoded.secureBoot !== undefined) {
        return `${decoded.unicodeName}: ${decoded.secureBoot ? 'enabled' : 'disabled'}`;
      }
      if (decoded.bootOrder !== undefined) {
        return `${decoded.unicodeName}: ${decoded.bootOrder.map((n) => n.toString(16).toUpperCase().padStart(4, '0')).join(',')}`;
      }
      if (decoded.bootOptionDescription !== undefined) {
        return `${decoded.unicodeName}: ${decoded.bootOptionDescription}`;
      }
      return `${decoded.unicodeName} (${decoded.variableDataLength} bytes)`;
    case 'uefi-image-load':
      return `${decoded.filePath ?? `image at ${decoded.imageLocation}`} (${decoded.imageLength} bytes)`;
    case 'firmware-blob':
      return `blob at ${decoded.blobBase} (${decoded.blobLength} bytes)`;
    case 'separator':
      return decoded.error ? 'error' : '';
    case 'guid':
      return decoded.guid;
    case 'text':
      return decoded.text;
  }
}

function shorten(text: string): string {
  const chars = [...text];
  return chars.length <= DETAILS_CHARS ? text : `${chars.slice(0, DETAILS_CHARS - 1).join('')}…`;
}
