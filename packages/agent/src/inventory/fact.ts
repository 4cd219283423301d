import type { Fact } from './types.ts';

export function known<T>(value: T): Fact<T> {
  return { known: true, value };
}

export function unknown<T = never>(reason: string): Fact<T> {
  return { known: false, reason };
}

/** Applies `f` to a known value; an unknown fact keeps its reason. */
export function mapFact<T, U>(fact: Fact<T>, f: (value: T) => U): Fact<U> {
  return fact.known ? known(f(fact.value)) : fact;
}

/** Turns anything a probe throws into a reason, so one broken probe cannot break the inventory. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
