import { QuoteError } from './quote-error.ts';

/** The TPMS_CLOCK_INFO counters of a verified quote, as the panel stores them for the next one. */
export interface QuoteCounters {
  readonly clock: bigint;
  readonly resetCount: number;
  readonly restartCount: number;
}

/** What happened to the TPM between two quotes. */
export interface CounterProgress {
  /** resetCount went up: the device rebooted (TPM Reset, Startup(CLEAR)) since the previous quote. */
  readonly rebooted: boolean;
  /** restartCount went up under the same resetCount: the device resumed from hibernation (TPM Restart/Resume). */
  readonly resumed: boolean;
}

/**
 * Compares a quote's counters with the previous verified quote's from the same
 * AK (TPM 2.0 Part 1 on Clock, resetCount and restartCount; TPMS_CLOCK_INFO in Part 2):
 *
 * - resetCount never decreases (it is reset only by TPM2_Clear, which also destroys the AK);
 * - with the same resetCount, restartCount never decreases and clock strictly
 *   increases (Clock advances whenever the TPM is powered and is saved on
 *   orderly shutdown; the same clock twice is the same quote twice).
 *
 * Across a reboot clock is not compared: after an unorderly shutdown the TPM
 * may report a clock below one it reported before (it then says `safe: NO`).
 *
 * @throws QuoteError QUOTE_COUNTER_REGRESSION: a replayed quote, or a different or cleared TPM.
 */
export function checkCounters(previous: QuoteCounters, current: QuoteCounters): CounterProgress {
  if (current.resetCount < previous.resetCount)
    throw regression(
      `resetCount went from ${previous.resetCount} to ${current.resetCount}`,
      previous,
      current,
    );
  if (current.resetCount > previous.resetCount) return { rebooted: true, resumed: false };
  if (current.restartCount < previous.restartCount)
    throw regression(
      `restartCount went from ${previous.restartCount} to ${current.restartCount} without a reboot`,
      previous,
      current,
    );
  if (current.clock <= previous.clock)
    throw regression(
      `clock went from ${previous.clock} to ${current.clock} without a reboot`,
      previous,
      current,
    );
  return { rebooted: false, resumed: current.restartCount > previous.restartCount };
}

function regression(message: string, previous: QuoteCounters, current: QuoteCounters): QuoteError {
  const counters = (c: QuoteCounters) => ({
    clock: c.clock.toString(),
    resetCount: c.resetCount,
    restartCount: c.restartCount,
  });
  return new QuoteError(
    'QUOTE_COUNTER_REGRESSION',
    `TPM counters went backwards (${message}): a replayed quote or a different TPM`,
    { details: { previous: counters(previous), current: counters(current) } },
  );
}
