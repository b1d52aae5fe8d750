import { isValidFlag } from '../../ingest/points.js';
import { flowToM3PerHour, isConcentrationUnit, toMgPerM3 } from '../standards/units.js';
import { HOUR_MS } from './time.js';

/**
 * Pure aggregation (regulations.md §1.1, R1–R3, §8): real-time/minute samples → minute means →
 * hourly means → daily means, with validity counts, 折算 and load. No I/O, no clock.
 *
 * - Only flag N (or no flag) is valid (R1). A minute is valid with ≥ 1 valid sample; its value is the mean
 *   of its valid samples (HJ 76 Annex B: one record per minute, the mean of that minute).
 * - Flue-gas hour valid with ≥ `minValidMinutes` (45) valid minutes (R2); water hour with
 *   ≥ `minValidSamples` (1) valid samples, because analysers report hourly (§4.1).
 * - 折算 per minute with the O2 minute mean of the same minute: C × (21 − O2ref)/(21 − O2) (§1.3, V).
 *   A minute with O2 ≥ 21 % or without a valid O2 has no 折算 value (never infinite; §1.3 Guard).
 * - Load kg/h = measured (not 折算) hourly mean × hourly mean flow (R10, §8).
 */

export const O2_CODE = 'a19001';
export const GAS_FLOW_CODE = 'a00000';
export const WATER_FLOW_CODE = 'w00000';
export const WATER_TEMP_CODE = 'w01010';

export interface MinuteCell {
  samples: number;
  validSamples: number;
  validSum: number;
  validMin: number;
  validMax: number;
  /** Samples flagged T (over range). */
  overRange: number;
  /** Non-N flags seen, with counts. */
  invalidFlags: Record<string, number>;
}

export interface DeviceValue {
  avg?: number;
  zsAvg?: number;
  min?: number;
  max?: number;
  flag?: string;
}

export interface HourWindow {
  start: number;
  /** code → minute index → cell */
  cells: Map<string, Map<number, MinuteCell>>;
  /** CN 2061 values sent by the gateway. */
  device: Map<string, DeviceValue>;
  judgedAt?: number;
  dirty: boolean;
  /** Rebuilt after a restart from InfluxDB; `partial` while InfluxDB could not be read (retried). */
  restored?: 'full' | 'partial';
}

export function newHourWindow(start: number): HourWindow {
  return { start, cells: new Map(), device: new Map(), dirty: false };
}

export function addSample(
  w: HourWindow,
  code: string,
  minute: number,
  value: number | undefined,
  flag: string | undefined,
): void {
  let byMinute = w.cells.get(code);
  if (!byMinute) {
    byMinute = new Map();
    w.cells.set(code, byMinute);
  }
  let cell = byMinute.get(minute);
  if (!cell) {
    cell = {
      samples: 0,
      validSamples: 0,
      validSum: 0,
      validMin: Infinity,
      validMax: -Infinity,
      overRange: 0,
      invalidFlags: {},
    };
    byMinute.set(minute, cell);
  }
  cell.samples++;
  if (flag === 'T') cell.overRange++;
  if (value !== undefined && Number.isFinite(value) && isValidFlag(flag)) {
    cell.validSamples++;
    cell.validSum += value;
    if (value < cell.validMin) cell.validMin = value;
    if (value > cell.validMax) cell.validMax = value;
  } else {
    const f = flag ?? 'missing';
    cell.invalidFlags[f] = (cell.invalidFlags[f] ?? 0) + 1;
  }
}

export interface HourSpec {
  medium: 'gas' | 'water';
  referenceO2?: number;
  minValidMinutes: number;
  minValidSamples: number;
  /** Registry unit per code. */
  unitOf(code: string): string | undefined;
}

export interface HourAggregate {
  code: string;
  start: number;
  end: number;
  origin: 'computed' | 'device';
  unit?: string;
  mean?: number;
  min?: number;
  max?: number;
  /** 折算 mean (gas with a reference O2). */
  zsMean?: number;
  validMinutes?: number;
  totalMinutes?: number;
  validSamples?: number;
  zsValidMinutes?: number;
  o2InvalidMinutes?: number;
  valid: boolean;
  /** The 折算 mean is valid (gas with reference O2); equals `valid` otherwise. */
  zsValid: boolean;
  overRange: boolean;
  invalidFlags: Record<string, number>;
  loadKgH?: number;
  flag?: string;
}

export function zheSuan(c: number, o2: number, referenceO2: number): number | undefined {
  // O2 ≥ 21 % means air, not flue gas: the factor would be infinite or negative (regulations.md §1.3).
  if (!(o2 < 21) || !Number.isFinite(o2) || !Number.isFinite(c)) return undefined;
  return (c * (21 - referenceO2)) / (21 - o2);
}

function minuteMean(c: MinuteCell): number | undefined {
  return c.validSamples > 0 ? c.validSum / c.validSamples : undefined;
}

/** Our own hourly aggregate of every code seen in the window. */
export function computeHour(w: HourWindow, spec: HourSpec): Map<string, HourAggregate> {
  const out = new Map<string, HourAggregate>();
  const o2 = w.cells.get(O2_CODE);
  for (const [code, byMinute] of w.cells) {
    const unit = spec.unitOf(code);
    const applyZs =
      spec.medium === 'gas' &&
      spec.referenceO2 !== undefined &&
      unit !== undefined &&
      isConcentrationUnit(unit);
    let validMinutes = 0;
    let validSamples = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let zsSum = 0;
    let zsValidMinutes = 0;
    let o2InvalidMinutes = 0;
    let overRange = false;
    const invalidFlags: Record<string, number> = {};
    for (const [minute, cell] of byMinute) {
      if (cell.overRange > 0) overRange = true;
      for (const [f, n] of Object.entries(cell.invalidFlags)) invalidFlags[f] = (invalidFlags[f] ?? 0) + n;
      const m = minuteMean(cell);
      if (m === undefined) continue;
      validMinutes++;
      validSamples += cell.validSamples;
      sum += m;
      if (cell.validMin < min) min = cell.validMin;
      if (cell.validMax > max) max = cell.validMax;
      if (applyZs) {
        const o2Cell = o2?.get(minute);
        const o2Mean = o2Cell ? minuteMean(o2Cell) : undefined;
        if (o2Mean === undefined) continue;
        const zs = zheSuan(m, o2Mean, spec.referenceO2 as number);
        if (zs === undefined) o2InvalidMinutes++;
        else {
          zsSum += zs;
          zsValidMinutes++;
        }
      }
    }
    const valid =
      spec.medium === 'gas' ? validMinutes >= spec.minValidMinutes : validSamples >= spec.minValidSamples;
    const agg: HourAggregate = {
      code,
      start: w.start,
      end: w.start + HOUR_MS,
      origin: 'computed',
      validMinutes,
      totalMinutes: byMinute.size,
      validSamples,
      valid,
      zsValid: valid,
      overRange,
      invalidFlags,
    };
    if (unit !== undefined) agg.unit = unit;
    if (validMinutes > 0) {
      agg.mean = sum / validMinutes;
      agg.min = min;
      agg.max = max;
    }
    if (applyZs) {
      agg.zsValidMinutes = zsValidMinutes;
      agg.o2InvalidMinutes = o2InvalidMinutes;
      agg.zsValid = spec.medium === 'gas' ? zsValidMinutes >= spec.minValidMinutes : zsValidMinutes >= 1;
      if (zsValidMinutes > 0) agg.zsMean = zsSum / zsValidMinutes;
    }
    out.set(code, agg);
  }
  return out;
}

/** The gateway's own hourly values (CN 2061), 折算 from the device O2 hour mean when ZsAvg is absent. */
export function deviceHour(w: HourWindow, spec: HourSpec): Map<string, HourAggregate> {
  const out = new Map<string, HourAggregate>();
  const o2 = w.device.get(O2_CODE);
  for (const [code, v] of w.device) {
    const unit = spec.unitOf(code);
    const valid = isValidFlag(v.flag) && v.avg !== undefined;
    const agg: HourAggregate = {
      code,
      start: w.start,
      end: w.start + HOUR_MS,
      origin: 'device',
      valid,
      zsValid: valid,
      overRange: v.flag === 'T',
      invalidFlags: valid ? {} : { [v.flag ?? 'missing']: 1 },
    };
    if (unit !== undefined) agg.unit = unit;
    if (v.flag !== undefined) agg.flag = v.flag;
    if (v.avg !== undefined) agg.mean = v.avg;
    if (v.min !== undefined) agg.min = v.min;
    if (v.max !== undefined) agg.max = v.max;
    const applyZs =
      spec.medium === 'gas' &&
      spec.referenceO2 !== undefined &&
      unit !== undefined &&
      isConcentrationUnit(unit);
    if (applyZs) {
      let zs = v.zsAvg;
      if (zs === undefined && v.avg !== undefined && o2?.avg !== undefined && isValidFlag(o2.flag)) {
        zs = zheSuan(v.avg, o2.avg, spec.referenceO2 as number);
      }
      if (zs !== undefined && Number.isFinite(zs)) agg.zsMean = zs;
      agg.zsValid = valid && agg.zsMean !== undefined;
    }
    out.set(code, agg);
  }
  return out;
}

export interface AggregateMismatch {
  code: string;
  start: number;
  kind: 'validity' | 'value';
  computed?: number;
  device?: number;
}

/**
 * Device values are used when present (the gateway's 2061 is the record the enterprise signs for);
 * our own aggregate cross-checks them and a disagreement is recorded for the data-quality rules.
 */
export function chooseHour(
  computed: Map<string, HourAggregate>,
  device: Map<string, HourAggregate>,
  tolerance: number,
): { chosen: Map<string, HourAggregate>; mismatches: AggregateMismatch[] } {
  const chosen = new Map(computed);
  const mismatches: AggregateMismatch[] = [];
  for (const [code, d] of device) {
    const c = computed.get(code);
    chosen.set(code, d);
    if (!c || (c.totalMinutes ?? 0) === 0) continue;
    if (c.valid !== d.valid) {
      const m: AggregateMismatch = { code, start: d.start, kind: 'validity' };
      if (c.mean !== undefined) m.computed = c.mean;
      if (d.mean !== undefined) m.device = d.mean;
      mismatches.push(m);
    } else if (c.valid && c.mean !== undefined && d.mean !== undefined) {
      const diff = Math.abs(d.mean - c.mean);
      if (diff > 1e-9 && diff > tolerance * Math.max(Math.abs(c.mean), 1e-9)) {
        mismatches.push({ code, start: d.start, kind: 'value', computed: c.mean, device: d.mean });
      }
    }
    // Flag T seen in the real-time data still counts when the device hour is used.
    if (c.overRange) d.overRange = true;
  }
  return { chosen, mismatches };
}

/** kg/h for every concentration code: measured mean × mean flow (regulations.md §8). */
export function addLoads(hour: Map<string, HourAggregate>, medium: 'gas' | 'water'): void {
  const flow = hour.get(medium === 'gas' ? GAS_FLOW_CODE : WATER_FLOW_CODE);
  if (!flow?.valid || flow.mean === undefined || flow.unit === undefined) return;
  const q = flowToM3PerHour(flow.mean, flow.unit);
  if (q === undefined) return;
  for (const agg of hour.values()) {
    if (!agg.valid || agg.mean === undefined || agg.unit === undefined) continue;
    const c = toMgPerM3(agg.mean, agg.unit);
    if (c === undefined) continue;
    agg.loadKgH = c * q * 1e-6;
  }
}

export interface DayAggregate {
  code: string;
  start: number;
  end: number;
  origin: 'computed' | 'device';
  unit?: string;
  mean?: number;
  zsMean?: number;
  min?: number;
  max?: number;
  validHours: number;
  zsValidHours: number;
  valid: boolean;
  zsValid: boolean;
  loadKg?: number;
  overRange: boolean;
  flag?: string;
}

/**
 * Daily means from the chosen hourly aggregates: arithmetic mean of valid hourly means (HJ 76 Annex B
 * for flue gas). For water HJ 356-2019 §7 (possibly flow-weighted) was not read (U): arithmetic too.
 */
export function computeDay(
  code: string,
  start: number,
  end: number,
  hours: readonly HourAggregate[],
  minValidHours: number,
): DayAggregate {
  let sum = 0;
  let n = 0;
  let zsSum = 0;
  let zsN = 0;
  let min = Infinity;
  let max = -Infinity;
  let load = 0;
  let loadN = 0;
  let overRange = false;
  let unit: string | undefined;
  for (const h of hours) {
    unit ??= h.unit;
    if (h.overRange) overRange = true;
    if (h.valid && h.mean !== undefined) {
      sum += h.mean;
      n++;
      if ((h.min ?? h.mean) < min) min = h.min ?? h.mean;
      if ((h.max ?? h.mean) > max) max = h.max ?? h.mean;
      if (h.loadKgH !== undefined) {
        load += h.loadKgH;
        loadN++;
      }
    }
    if (h.zsValid && h.zsMean !== undefined) {
      zsSum += h.zsMean;
      zsN++;
    }
  }
  const day: DayAggregate = {
    code,
    start,
    end,
    origin: 'computed',
    validHours: n,
    zsValidHours: zsN,
    valid: n >= minValidHours,
    zsValid: zsN >= minValidHours,
    overRange,
  };
  if (unit !== undefined) day.unit = unit;
  if (n > 0) {
    day.mean = sum / n;
    day.min = min;
    day.max = max;
  }
  if (zsN > 0) day.zsMean = zsSum / zsN;
  if (loadN > 0) day.loadKg = load;
  return day;
}

/** A CN 2031 day value as an aggregate. */
export function deviceDay(
  code: string,
  start: number,
  end: number,
  v: DeviceValue,
  unit: string | undefined,
): DayAggregate {
  const valid = isValidFlag(v.flag) && v.avg !== undefined;
  const d: DayAggregate = {
    code,
    start,
    end,
    origin: 'device',
    validHours: 0,
    zsValidHours: 0,
    valid,
    zsValid: valid && v.zsAvg !== undefined,
    overRange: v.flag === 'T',
  };
  if (unit !== undefined) d.unit = unit;
  if (v.flag !== undefined) d.flag = v.flag;
  if (v.avg !== undefined) d.mean = v.avg;
  if (v.zsAvg !== undefined) d.zsMean = v.zsAvg;
  if (v.min !== undefined) d.min = v.min;
  if (v.max !== undefined) d.max = v.max;
  return d;
}
