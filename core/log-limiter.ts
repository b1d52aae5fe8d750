import type { Clock } from './clock.js';

/**
 * Lets one log line through per key per interval and counts what it held back, so a device that
 * sends garbage 100 times a second produces one line a minute (with the count), not a log flood.
 */
export function createLogLimiter(intervalMs: number, clock: Clock, maxKeys = 10_000) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    /** Returns undefined to stay silent, or the number of lines suppressed since the last one let through. */
    admit(key: string): number | undefined {
      const now = clock.now();
      const entry = last.get(key);
      if (entry && now - entry.at < intervalMs) {
        entry.suppressed++;
        return undefined;
      }
      if (!entry && last.size >= maxKeys) last.clear();
      last.set(key, { at: now, suppressed: 0 });
      return entry?.suppressed ?? 0;
    },
  };
}
