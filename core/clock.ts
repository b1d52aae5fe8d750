/**
 * Time comes from an injected clock so that windows, schedules and timeouts can be tested with fake
 * timers or simulated time (DESIGN.md §3.6).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
