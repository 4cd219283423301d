import { api } from './api-client.ts';
import type { Device } from './api-types.ts';

/** The API's largest page of devices. */
const PAGE = 1000;

/**
 * Every device, page by page (ordered by ID, `after` the last one).
 * `onPage` sees the list grow, so a table can render the first page while
 * the rest arrives.
 */
export async function loadAllDevices(
  onPage?: (devices: readonly Device[]) => void,
  signal?: AbortSignal,
): Promise<Device[]> {
  const all: Device[] = [];
  let after: string | undefined;
  for (;;) {
    if (signal?.aborted) break;
    const { devices } = await api.get<{ devices: Device[] }>('/v1/devices', { limit: PAGE, after });
    all.push(...devices);
    onPage?.(all.slice());
    const last = devices.at(-1);
    if (devices.length < PAGE || !last) break;
    after = last.id;
  }
  return all;
}
