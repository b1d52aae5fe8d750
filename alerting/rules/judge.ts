import type { DayAggregate, HourAggregate } from '../aggregate/aggregate.js';
import type { RuleId, Severity } from '../config.js';
import { effectiveMax, type ResolvedLimit } from '../standards/resolve.js';

/**
 * Pure rule evaluation: one aggregate (or sample) against one limit → a judgement the lifecycle applies.
 *
 * - Flue gas: valid hourly 折算 mean > limit ⇒ 超标 (R4; regulations.md §1.1 Alarm row, HJ 76 via [S1]).
 *   Outlets without a reference O2 are judged on the measured value (GB 4915 §4.1.4, V).
 * - Wastewater: daily mean > limit ⇒ 超标; hourly mean > limit ⇒ 预警 (R5, §4.3).
 * - NH3-N (GB 18918) uses the window's mean water temperature to choose the limit (§4.2).
 * - Windows that are not valid (too few valid minutes/hours, all data flagged M/C/D/F/S/B, O2 ≥ 21) are
 *   "invalid": never an exceedance, and they do not count towards clearing either (R6, §5.1 [S28]).
 */

export interface JudgeSettings {
  earlyWarning: { enabled: boolean; share: number };
  clearShare: number;
}

export interface AlarmKey {
  outletId: string;
  pollutant: string;
  rule: RuleId;
}

export function keyString(k: AlarmKey): string {
  return `${k.outletId}|${k.pollutant}|${k.rule}`;
}

export interface Judgement {
  key: AlarmKey;
  kind: 'exceeded' | 'below' | 'invalid';
  /** For `exceeded`: the level reached. */
  level?: Severity;
  windowStart: number;
  windowEnd: number;
  value?: number;
  /** Upper limit in force (already the cold/warm NH3-N one), lower limit for pH. */
  limit?: number;
  limitMin?: number;
  unit?: string;
  basis: 'zs' | 'measured';
  limitCondition?: string;
  /** Whether this window counts towards clearing an episode currently at that severity. */
  clearFor: Partial<Record<Severity, boolean>>;
  reason?: string;
  /** Numbers behind the judgement beyond value/limit (heavy-pollution: baseline, allowed …). */
  evidence?: AlarmEvidence;
}

export interface AlarmEvidence {
  textZh?: string;
  textEn?: string;
  values?: Record<string, number | string>;
}

interface Candidate {
  key: AlarmKey;
  windowStart: number;
  windowEnd: number;
  value: number | undefined;
  valid: boolean;
  basis: 'zs' | 'measured';
  limit: ResolvedLimit;
  level: Severity;
  waterTempC?: number;
  invalidReason?: string;
}

function judgeValue(c: Candidate, s: JudgeSettings): Judgement {
  const { max, condition } = effectiveMax(c.limit, c.waterTempC);
  const min = c.limit.min;
  const base: Judgement = {
    key: c.key,
    kind: 'invalid',
    windowStart: c.windowStart,
    windowEnd: c.windowEnd,
    basis: c.basis,
    unit: c.limit.unit,
    clearFor: {},
  };
  if (max !== undefined) base.limit = max;
  if (min !== undefined) base.limitMin = min;
  if (condition !== undefined) base.limitCondition = condition;
  if (!c.valid || c.value === undefined || !Number.isFinite(c.value)) {
    base.reason = c.invalidReason ?? 'not enough valid data';
    return base;
  }
  const v = c.value;
  base.value = v;
  const over = (max !== undefined && v > max) || (min !== undefined && v < min);
  if (over) return { ...base, kind: 'exceeded', level: c.level };
  const ranged = min !== undefined;
  const early = s.earlyWarning.enabled && !ranged && max !== undefined && v >= s.earlyWarning.share * max;
  const clearFor: Partial<Record<Severity, boolean>> = {};
  // Hysteresis: an episode clears only below clearShare × its threshold; range limits (pH) clear inside.
  const clearsMain = ranged ? true : max !== undefined && v < s.clearShare * max;
  clearFor[c.level] = clearsMain;
  if (max !== undefined) clearFor.early_warning = !ranged && v < s.clearShare * s.earlyWarning.share * max;
  if (early) return { ...base, kind: 'exceeded', level: 'early_warning', clearFor };
  return { ...base, kind: 'below', clearFor };
}

/**
 * An exceedance candidate for a window: judged on the 折算 mean when the outlet has a reference O2
 * (regulations.md §1.3), else on the measured mean.
 */
function exceedanceCandidate(
  outletId: string,
  rule: 'hourly_zs_exceedance' | 'daily_exceedance',
  agg: Pick<HourAggregate, 'code' | 'start' | 'end' | 'mean' | 'zsMean' | 'valid' | 'zsValid'>,
  limit: ResolvedLimit,
  zs: boolean,
): Candidate {
  return {
    key: { outletId, pollutant: agg.code, rule },
    windowStart: agg.start,
    windowEnd: agg.end,
    value: zs ? agg.zsMean : agg.mean,
    valid: zs ? agg.zsValid : agg.valid,
    basis: zs ? 'zs' : 'measured',
    limit,
    level: 'exceedance',
  };
}

/** Hourly rules for one code of one outlet (gas 折算 exceedance, water hourly warning). */
export function judgeHour(
  outletId: string,
  medium: 'gas' | 'water',
  agg: HourAggregate,
  limit: ResolvedLimit,
  referenceO2: number | undefined,
  waterTempC: number | undefined,
  s: JudgeSettings,
): Judgement | undefined {
  if (medium === 'gas') {
    if (limit.averaging !== 'hour') return undefined;
    const zs = referenceO2 !== undefined;
    const c = exceedanceCandidate(outletId, 'hourly_zs_exceedance', agg, limit, zs);
    if (!agg.valid) c.invalidReason = `valid minutes ${agg.validMinutes ?? 0} below the minimum`;
    else if (zs && !agg.zsValid) c.invalidReason = 'no valid O2 for 折算 (missing or ≥ 21 %)';
    return judgeValue(c, s);
  }
  const c: Candidate = {
    key: { outletId, pollutant: agg.code, rule: 'hourly_warning' },
    windowStart: agg.start,
    windowEnd: agg.end,
    value: agg.mean,
    valid: agg.valid,
    basis: 'measured',
    limit,
    level: 'warning',
  };
  if (waterTempC !== undefined) c.waterTempC = waterTempC;
  return judgeValue(c, s);
}

/** Daily rule (wastewater; gas limits marked `averaging: day`). */
export function judgeDay(
  outletId: string,
  agg: DayAggregate,
  limit: ResolvedLimit,
  referenceO2: number | undefined,
  waterTempC: number | undefined,
  s: JudgeSettings,
): Judgement | undefined {
  if (limit.averaging !== 'day') return undefined;
  const c = exceedanceCandidate(outletId, 'daily_exceedance', agg, limit, referenceO2 !== undefined);
  if (waterTempC !== undefined) c.waterTempC = waterTempC;
  if (!c.valid) c.invalidReason = `valid hours ${agg.validHours} below the minimum`;
  return judgeValue(c, s);
}

/** Instant notice: one real-time sample against the limit (off by default). */
export function judgeInstant(
  outletId: string,
  code: string,
  t: number,
  value: number | undefined,
  valid: boolean,
  basis: 'zs' | 'measured',
  limit: ResolvedLimit,
  waterTempC: number | undefined,
  s: JudgeSettings,
): Judgement {
  const c: Candidate = {
    key: { outletId, pollutant: code, rule: 'instant' },
    windowStart: t,
    windowEnd: t,
    value,
    valid,
    basis,
    limit,
    level: 'notice',
  };
  if (waterTempC !== undefined) c.waterTempC = waterTempC;
  // An instant notice has no early warning of its own.
  return judgeValue(c, { ...s, earlyWarning: { enabled: false, share: s.earlyWarning.share } });
}

/** Flag T (over the analyser's range) on a sample or anywhere in an hour ⇒ its own alarm (§7.2). */
export function judgeOverRange(
  outletId: string,
  code: string,
  windowStart: number,
  windowEnd: number,
  overRange: boolean,
  hadValidData: boolean,
  value: number | undefined,
): Judgement {
  const j: Judgement = {
    key: { outletId, pollutant: code, rule: 'over_range' },
    kind: overRange ? 'exceeded' : hadValidData ? 'below' : 'invalid',
    windowStart,
    windowEnd,
    basis: 'measured',
    clearFor: { quality: !overRange && hadValidData },
  };
  if (overRange) j.level = 'quality';
  if (value !== undefined) j.value = value;
  return j;
}
