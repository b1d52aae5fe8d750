import type { SourceType } from '../config/registry.js';
import { utcToWallTime, wallTimeToUtc } from '../core/local-time.js';
import { roundTo } from './generator.js';
import { profileFor } from './profiles.js';
import type { SimReading } from './readings.js';
import type { WireValue } from './wire.js';

/**
 * Interval data of a simulated HJ 212 gateway: minute (2051), hour (2061) and day (2031) records computed
 * from its own real-time values, as a 数采仪 does (STD 表C.16–C.18). Pure: feed every real-time reading in
 * data-time order; a window's record comes out when the next real-time data time falls in a new window.
 *
 * - DataTime of a record = start of its window in the site's zone (STD 表4: interval data carry the start).
 * - Avg/Min/Max per code over the real-time values in the window; Avg rounded to the code's wire
 *   precision, so the report holds exactly the number the frame carries.
 * - Flag: N when every value was N, else the first other flag seen (wastewater rule, hj212.md §5: one
 *   abnormal value makes the aggregate abnormal; kept simple for flue gas too).
 * - A window cut by the start or end of the run is emitted with what it saw (start) or not at all (end).
 */

export type IntervalKind = 'minute' | 'hour' | 'day';

export const CN_OF_INTERVAL: Readonly<Record<IntervalKind, string>> = {
  minute: '2051',
  hour: '2061',
  day: '2031',
};

/** Start (UTC ms) of the window containing `utcMs`, in `zone` wall time. */
export function windowStart(kind: IntervalKind, utcMs: number, zone: string, minIntervalMin: number): number {
  const w = utcToWallTime(utcMs, zone);
  const minute = kind === 'minute' ? Math.floor(w.minute / minIntervalMin) * minIntervalMin : 0;
  const hour = kind === 'day' ? 0 : w.hour;
  return wallTimeToUtc({ year: w.year, month: w.month, day: w.day, hour, minute, second: 0 }, zone);
}

interface Acc {
  sum: number;
  n: number;
  min: number;
  max: number;
  flag: string;
}

export interface IntervalAggregatorOptions {
  kind: IntervalKind;
  zone: string;
  sourceType: SourceType;
  /** MinInterval in minutes (STD 表C.8: 1,2,3,4,5,6,10,12,15,20,30). Used by `minute` only. */
  minIntervalMin: number;
}

export interface IntervalAggregator {
  /**
   * Adds a real-time reading (its values, possibly none) and the data time of the next one; returns the
   * record of the window that closes, if any (values possibly empty when every code was dropped).
   */
  add(r: SimReading, nextDataTimeMs: number): SimReading | undefined;
}

export function createIntervalAggregator(opts: IntervalAggregatorOptions): IntervalAggregator {
  const { kind, zone, minIntervalMin } = opts;
  const window = (ms: number) => windowStart(kind, ms, zone, minIntervalMin);
  const accs = new Map<string, Acc>();
  let seq = 0;
  return {
    add(r, nextDataTimeMs) {
      for (const [code, v] of Object.entries(r.values)) {
        if (v.rtd === undefined) continue;
        const acc = accs.get(code);
        if (!acc) accs.set(code, { sum: v.rtd, n: 1, min: v.rtd, max: v.rtd, flag: v.flag });
        else {
          acc.sum += v.rtd;
          acc.n++;
          acc.min = Math.min(acc.min, v.rtd);
          acc.max = Math.max(acc.max, v.rtd);
          if (acc.flag === 'N' && v.flag !== 'N') acc.flag = v.flag;
        }
      }
      const start = window(r.dataTimeMs);
      if (window(nextDataTimeMs) === start) return undefined;
      const values: Record<string, WireValue> = {};
      for (const [code, acc] of accs) {
        const decimals = profileFor(opts.sourceType, code).decimals;
        values[code] = {
          avg: roundTo(acc.sum / acc.n, decimals),
          min: acc.min,
          max: acc.max,
          flag: acc.flag,
        };
      }
      accs.clear();
      const record: SimReading = {
        ...r,
        seq: seq++,
        dataTimeMs: start,
        kind,
        cn: CN_OF_INTERVAL[kind],
        values,
        dropped: [],
        payload: undefined,
      };
      return record;
    },
  };
}
