import type { SecurityEvent } from '../../api/api-types.ts';

export interface EventFilter {
  readonly deviceId: string;
  /** One type or several, comma-separated, as the API takes them. */
  readonly type: string;
  readonly source: '' | 'device' | 'panel';
  readonly minSeverity: string;
  readonly control: string;
}

export const FILTER_KEYS = ['deviceId', 'type', 'source', 'minSeverity', 'control'] as const;

export function eventFilterFromQuery(query: URLSearchParams): EventFilter {
  const source = query.get('source') ?? '';
  return {
    deviceId: query.get('deviceId') ?? '',
    type: query.get('type') ?? '',
    source: source === 'device' || source === 'panel' ? source : '',
    minSeverity: /^(?:[0-9]|10)$/.test(query.get('minSeverity') ?? '')
      ? (query.get('minSeverity') ?? '')
      : '',
    control: query.get('control') ?? '',
  };
}

export function eventFilterToQuery(filter: EventFilter): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filter[key] !== '') params.set(key, filter[key]);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The filter as the search API's query parameters. */
export function searchQuery(filter: EventFilter): Record<string, string | undefined> {
  return {
    deviceId: filter.deviceId || undefined,
    type: filter.type.replaceAll(' ', '') || undefined,
    source: filter.source || undefined,
    minSeverity: filter.minSeverity || undefined,
    control: filter.control || undefined,
  };
}

/**
 * The same test the panel applies to the live stream and the search
 * (packages/server/src/events/event-stream.ts `passes`), applied in the
 * browser to the app's one shared stream.
 */
export function passes(event: SecurityEvent, filter: EventFilter): boolean {
  const types = filter.type
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (filter.deviceId !== '' && event.deviceId !== filter.deviceId) return false;
  if (types.length > 0 && !types.includes(event.type)) return false;
  if (filter.source !== '' && event.source !== filter.source) return false;
  if (filter.minSeverity !== '' && event.severity < Number(filter.minSeverity)) return false;
  if (filter.control !== '' && !event.controls.includes(filter.control)) return false;
  return true;
}
