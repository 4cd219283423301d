import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { SecurityEvent } from './api-types.ts';
import { type LiveStatus, liveEvents } from './live-events.ts';

/** Calls `listener` with every live event while the component is mounted. */
export function useLiveEvents(listener: (event: SecurityEvent) => void): void {
  const current = useRef(listener);
  current.current = listener;
  useEffect(() => liveEvents.subscribe((event) => current.current(event)), []);
}

export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (onChange) => liveEvents.onStatus(onChange),
    () => liveEvents.status,
  );
}
