import type { SiteEntry } from '../config/registry.js';
import { formatIsoLocal } from '../core/local-time.js';
import { createOutletGenerator } from './generator.js';
import { applyRules, rulesFor, type SampleValue, type Scenario } from './scenario.js';
import { type SimKind, type SystemCode, stFor, type WirePayload, type WireValue } from './wire.js';

/**
 * The sequence of readings of one gateway, independent of MQTT: reading k has data time
 * start + k·interval. Pure and deterministic for (seed, MN, start, interval, scenario), which is what the
 * determinism tests check and what makes the ground-truth report reproducible.
 */

/** Real-time readings (all protocols) and, for HJ 212 gateways, interval data (simulator/hj212-aggregate.ts). */
export type SimReadingKind = SimKind | 'minute' | 'hour' | 'day';

export interface SimReading {
  /** k: index of the reading in this gateway's run. */
  seq: number;
  dataTimeMs: number;
  mn: string;
  outlet: string;
  enterprise: string;
  st: SystemCode;
  kind: SimReadingKind;
  cn: string;
  /** Values as published (after the scenario). Empty when every code was dropped. */
  values: Record<string, WireValue>;
  /** Codes removed by scenario `drop` rules. */
  dropped: string[];
  /** The exact bytes to publish; undefined when nothing is left to send. */
  payload: string | undefined;
}

export interface ReadingSourceOptions {
  seed: number;
  entry: SiteEntry;
  timeZone: string;
  intervalSec: number;
  startMs: number;
  /** Exclusive end of data time; undefined = unbounded. */
  endMs?: number;
  scenario?: Scenario;
}

export interface ReadingSource {
  /** The next reading, or undefined once start + k·interval ≥ end. */
  next(): SimReading | undefined;
}

export function createReadingSource(opts: ReadingSourceOptions): ReadingSource {
  const { entry } = opts;
  const mn = entry.gateway.mn;
  const codes = entry.outlet.pollutants.map((p) => p.code);
  const gen = createOutletGenerator({
    seed: opts.seed,
    mn,
    sourceType: entry.outlet.sourceType,
    codes,
    intervalSec: opts.intervalSec,
    timeZone: opts.timeZone,
  });
  const rules = rulesFor(opts.scenario, mn, entry.outlet.id);
  const st = stFor(entry.outlet.medium);
  const stepMs = opts.intervalSec * 1000;
  let k = 0;

  return {
    next() {
      // Multiplying rather than accumulating keeps data times exact over millions of steps.
      const dataTimeMs = opts.startMs + k * stepMs;
      if (opts.endMs !== undefined && dataTimeMs >= opts.endMs) return undefined;
      const generated = gen.next(dataTimeMs);
      const samples = new Map<string, SampleValue>();
      for (const [code, value] of generated) samples.set(code, { value, flag: 'N' });
      const dropped = rules.length > 0 ? applyRules(rules, dataTimeMs, samples, gen.round) : [];

      const values: Record<string, WireValue> = {};
      for (const [code, s] of samples) values[code] = { rtd: s.value, flag: s.flag };
      const payload: WirePayload = {
        st,
        cn: '2011',
        dataTime: formatIsoLocal(dataTimeMs, opts.timeZone),
        values,
      };
      const reading: SimReading = {
        seq: k,
        dataTimeMs,
        mn,
        outlet: entry.outlet.id,
        enterprise: entry.enterprise.id,
        st,
        kind: 'rtd',
        cn: '2011',
        values,
        dropped,
        payload: samples.size > 0 ? JSON.stringify(payload) : undefined,
      };
      k++;
      return reading;
    },
  };
}
