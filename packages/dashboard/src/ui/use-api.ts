import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** Loads again, keeping the current data on screen until the answer arrives. */
  reload(): void;
}

/**
 * Runs `load` when `key` changes (null: not now) and on reload(); answers
 * that arrive after a newer request are dropped, so a slow old answer never
 * overwrites a fresh one. `pollMs` reloads on a timer while mounted.
 */
export function useApi<T>(
  key: string | null,
  load: () => Promise<T>,
  options: { pollMs?: number } = {},
): Loaded<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(key !== null);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick is the reload trigger.
  useEffect(() => {
    if (key === null) return;
    const request = ++latest.current;
    setLoading(true);
    loader.current().then(
      (value) => {
        if (request !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (caught: unknown) => {
        if (request !== latest.current) return;
        setError(caught);
        setLoading(false);
      },
    );
  }, [key, tick]);

  const pollMs = options.pollMs;
  useEffect(() => {
    if (key === null || pollMs === undefined) return;
    const timer = window.setInterval(() => setTick((t) => t + 1), pollMs);
    return () => window.clearInterval(timer);
  }, [key, pollMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
