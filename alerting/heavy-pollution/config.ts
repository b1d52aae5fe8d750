import { z } from 'zod';
import { DEFAULT_THRESHOLDS } from './levels.js';
import { DEFAULT_GRADE_MEASURES, DEFAULT_VERIFY } from './measures.js';

/**
 * `heavyPollution` section of the app config (重污染天气应对). Every default cites reference/aqi.md or
 * regulations.md §6; thresholds, measures and special periods are data (regulations.md R11).
 */
const Bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
const Level = z.enum(['yellow', 'orange', 'red']);
const Measure = z.strictObject({
  type: z.enum(['stop', 'limit', 'cap', 'self']),
  percent: z.number().min(0).max(100).optional(),
});
const Thresholds = z.strictObject({
  heavyAbove: z.number().positive().optional(),
  severeAbove: z.number().positive().optional(),
  redReach: z.number().positive().optional(),
  yellowDays: z.number().int().positive().optional(),
  orangeDays: z.number().int().positive().optional(),
  orangeSevereDays: z.number().int().positive().optional(),
  redDays: z.number().int().positive().optional(),
  redSevereDays: z.number().int().positive().optional(),
});
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD (local date)');

export const HeavyPollutionConfig = z.strictObject({
  /** Needs alerting.enabled (journal, notifiers, API auth are the alarm engine's). */
  enabled: Bool.default(false),
  /** aqi.md "verify": integer IAQI rounded up (ceil, common implementations) or to nearest. */
  aqiRounding: z.enum(['ceil', 'round']).default('ceil'),
  /** HJ 633/HJ 663 practice: a station day needs ≥ 20 valid hours (same as emissions, R2). */
  dayMinValidHours: z.coerce.number().int().min(1).max(24).default(20),
  /** aqi.md warning levels, overridable per region (`regions.<name>`). */
  thresholds: Thresholds.prefault({}),
  regions: z.record(z.string(), Thresholds).default({}),
  /** Grade → level → measure (measures.ts; regulations.md §6.2). */
  defaultMeasures: z
    .record(z.enum(['A', 'B', 'C', 'D', 'leading']), z.record(Level, Measure))
    .default(DEFAULT_GRADE_MEASURES),
  /** Baseline: mean hourly load over this many days before the warning (issue; regulations.md §8). */
  baselineDays: z.coerce.number().int().positive().default(30),
  stopFlowShare: z.coerce.number().gt(0).lt(1).default(DEFAULT_VERIFY.stopFlowShare),
  stopO2Below: z.coerce.number().gt(0).lt(21).default(DEFAULT_VERIFY.stopO2Below),
  /** Channels (alerting.channels ids) that reach each affected enterprise's contacts. */
  enterpriseChannels: z.array(z.string().min(1)).default([]),
  /**
   * 特护期 (regulations.md §6.2 [S50]): local-date ranges (`from`–`to`, both days included) per region
   * during which enterprises follow the measures of `level` even without a declared warning; `capPercent`
   * adds a concentration cap (hourly mean ≤ capPercent % of the outlet's limit) and `limits` absolute hourly
   * limits per pollutant code (in the unit the gateway sends), the stricter of both applying. Verified
   * hourly like a warning (rules hp_stop/hp_limit/hp_cap); hours covered by a declared warning follow it.
   */
  specialPeriods: z
    .array(
      z.strictObject({
        region: z.string().min(1),
        from: LocalDate,
        to: LocalDate,
        level: Level.default('yellow'),
        capPercent: z.number().min(0).max(100).optional(),
        limits: z
          .record(z.string().regex(/^[a-z]\d{5}$/, 'HJ 212 pollutant code'), z.number().positive())
          .optional(),
        name: z.string().optional(),
      }),
    )
    .default([]),
});
export type HeavyPollutionConfig = z.infer<typeof HeavyPollutionConfig>;

export const HEAVY_POLLUTION_ENV_MAP: Readonly<Record<string, string>> = {
  HEAVY_POLLUTION_ENABLED: 'heavyPollution.enabled',
  HEAVY_POLLUTION_AQI_ROUNDING: 'heavyPollution.aqiRounding',
  HEAVY_POLLUTION_BASELINE_DAYS: 'heavyPollution.baselineDays',
  HEAVY_POLLUTION_STOP_FLOW_SHARE: 'heavyPollution.stopFlowShare',
  HEAVY_POLLUTION_STOP_O2_BELOW: 'heavyPollution.stopO2Below',
};

export function thresholdsFor(cfg: HeavyPollutionConfig, region: string) {
  return { ...DEFAULT_THRESHOLDS, ...cfg.thresholds, ...(cfg.regions[region] ?? {}) };
}
