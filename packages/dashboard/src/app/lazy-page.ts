import { type ComponentType, createElement, lazy, type ReactNode } from 'react';

export interface LazyPage<P> {
  (props: P): ReactNode;
  /** Fetches the page's chunk now, so that opening it later does not suspend. */
  preload(): Promise<void>;
}

/**
 * A page in its own chunk. React.lazy suspends on first render even when the
 * chunk is already in the cache, and React then holds the fallback for its
 * reveal throttle (about 300 ms); once preloaded, this renders the page
 * directly instead. The shell preloads every page when the browser is idle.
 */
export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): LazyPage<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<void> | undefined;
  const preload = () => {
    loading ??= load().then((module) => {
      loaded = module.default;
    });
    return loading;
  };
  const Suspending = lazy(() => preload().then(() => ({ default: loaded as ComponentType<P> })));
  // biome-ignore lint/correctness/noComponentHookFactories: called once per page at module load (like React.lazy), never during render.
  const Page = (props: P): ReactNode => createElement((loaded ?? Suspending) as ComponentType<P>, props);
  return Object.assign(Page, { preload });
}
