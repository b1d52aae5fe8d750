import { zoneOffsetMs } from '../../core/local-time.js';

/**
 * Window boundaries in event time. Hours and days are local (Asia/Shanghai by default, DESIGN.md §4):
 * a local day starts at 00:00 local time, so a day in a zone with DST may have 23 or 25 hours.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function hourStartOf(t: number, zone: string): number {
  const local = t + zoneOffsetMs(zone, t);
  return t - (((local % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

export function dayStartOf(t: number, zone: string): number {
  const local = t + zoneOffsetMs(zone, t);
  const guess = t - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  // The offset at the guess may differ from the offset at t (DST): settle once more.
  const local2 = guess + zoneOffsetMs(zone, guess);
  const fix = ((local2 % DAY_MS) + DAY_MS) % DAY_MS;
  return fix === 0 ? guess : fix > DAY_MS / 2 ? guess + (DAY_MS - fix) : guess - fix;
}

export function dayEndOf(dayStart: number, zone: string): number {
  return dayStartOf(dayStart + DAY_MS + 6 * HOUR_MS, zone);
}

/** Minute index 0–59 within its hour. */
export function minuteIndex(t: number, hourStart: number): number {
  return Math.min(59, Math.max(0, Math.floor((t - hourStart) / MINUTE_MS)));
}
