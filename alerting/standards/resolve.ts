import type { SiteEntry } from '../../config/registry.js';
import type { Confidence, LimitSet, StandardsLibrary } from './library.js';
import { conversionFactor } from './units.js';

/**
 * The limits that apply to one outlet: its limit set (named in the registry, or the default for its
 * source type), then the registry's permit / local-standard overrides per pollutant (regulations.md
 * §3.1 note, R11). Limits are converted into the unit the gateway sends (registry pollutant unit), so
 * judging never mixes μg/L and mg/L; a limit whose unit cannot be converted is reported, not used.
 */
export interface LimitSource {
  setId?: string;
  standard: string;
  nameZh: string;
  nameEn: string;
  clause: string;
  confidence: Confidence | 'permit';
  override: boolean;
}

export interface ResolvedLimit {
  code: string;
  /** In `unit` (the registry unit of the code). */
  max?: number;
  min?: number;
  unit: string;
  /** Unit written in the standard or override, and the factor applied (value_in_unit = limit × factor). */
  limitUnit: string;
  factor: number;
  /** GB 18918 NH3-N: limit when water temperature ≤ atOrBelowC (already in `unit`). */
  coldWater?: { max: number; atOrBelowC: number };
  averaging: 'hour' | 'day';
  source: LimitSource;
}

export interface OutletLimits {
  outletId: string;
  medium: 'gas' | 'water';
  setId?: string;
  set?: LimitSet;
  /** Reference O2 % for 折算, absent when the outlet is judged on measured values (GB 4915 §4.1.4). */
  referenceO2?: { value: number; source: string };
  limits: ReadonlyMap<string, ResolvedLimit>;
  /** Configuration problems found while resolving (unknown set, unit mismatch). */
  problems: readonly string[];
}

export function resolveOutletLimits(site: SiteEntry, library: StandardsLibrary): OutletLimits {
  const { outlet } = site;
  const problems: string[] = [];
  const setId = outlet.limitSet ?? library.defaults[outlet.sourceType];
  const set = setId === undefined ? undefined : library.get(setId);
  if (setId !== undefined && set === undefined)
    problems.push(`limit set "${setId}" is not in the standards library`);
  if (set && set.medium !== outlet.medium)
    problems.push(`limit set "${setId}" is for ${set.medium}, outlet is ${outlet.medium}`);
  const unitOf = (code: string, fallback: string) =>
    outlet.pollutants.find((p) => p.code === code)?.unit ?? fallback;
  const defaultAveraging = outlet.medium === 'gas' ? 'hour' : 'day';
  const limits = new Map<string, ResolvedLimit>();

  const add = (
    code: string,
    bounds: { max?: number; min?: number },
    limitUnit: string,
    averaging: 'hour' | 'day' | undefined,
    source: LimitSource,
    coldWater?: { max: number; atOrBelowC: number },
  ) => {
    const unit = unitOf(code, limitUnit);
    const factor = conversionFactor(limitUnit, unit);
    if (factor === undefined) {
      problems.push(`${code}: limit unit ${limitUnit} cannot be converted to the gateway unit ${unit}`);
      return;
    }
    const r: ResolvedLimit = {
      code,
      unit,
      limitUnit,
      factor,
      averaging: averaging ?? defaultAveraging,
      source,
    };
    if (bounds.max !== undefined) r.max = bounds.max * factor;
    if (bounds.min !== undefined) r.min = bounds.min * factor;
    if (coldWater) r.coldWater = { max: coldWater.max * factor, atOrBelowC: coldWater.atOrBelowC };
    limits.set(code, r);
  };

  if (set && set.medium === outlet.medium) {
    for (const l of set.limits) {
      const bounds: { max?: number; min?: number } = {};
      if (l.max !== undefined) bounds.max = l.max;
      if (l.min !== undefined) bounds.min = l.min;
      add(
        l.code,
        bounds,
        l.unit,
        l.averaging,
        {
          setId: set.id,
          standard: set.standard,
          nameZh: set.nameZh,
          nameEn: set.nameEn,
          clause: l.clause,
          confidence: l.confidence,
          override: false,
        },
        l.coldWater,
      );
    }
  }
  for (const o of outlet.limits ?? []) {
    const bounds: { max?: number; min?: number } = {};
    if (o.max !== undefined) bounds.max = o.max;
    if (o.min !== undefined) bounds.min = o.min;
    if (o.max === undefined && o.min === undefined) {
      problems.push(`${o.code}: override needs max and/or min`);
      continue;
    }
    add(o.code, bounds, o.unit, o.averaging, {
      standard: o.source,
      nameZh: o.source,
      nameEn: o.source,
      clause: o.source,
      confidence: 'permit',
      override: true,
    });
  }

  const result: OutletLimits = { outletId: outlet.id, medium: outlet.medium, limits, problems };
  if (setId !== undefined) result.setId = setId;
  if (set) result.set = set;
  if (outlet.referenceO2 !== undefined) {
    result.referenceO2 = { value: outlet.referenceO2, source: 'registry referenceO2' };
  } else if (set?.referenceO2 && set.medium === outlet.medium) {
    const r = set.referenceO2;
    result.referenceO2 = { value: r.value, source: `${set.standard} ${r.clause} (${r.confidence})` };
  }
  return result;
}

/**
 * The upper limit in force for a window: for NH3-N under GB 18918 the cold-water limit applies when the
 * window's water temperature is ≤ the threshold; without a temperature the warm (stricter) limit
 * applies, because the plant cannot show the condition for the relaxed one (regulations.md §4.2).
 */
export function effectiveMax(
  limit: ResolvedLimit,
  waterTempC: number | undefined,
): { max?: number; condition?: 'warm' | 'cold' | 'temperature-unknown' } {
  if (!limit.coldWater) return limit.max === undefined ? {} : { max: limit.max };
  if (waterTempC === undefined)
    return limit.max === undefined
      ? { condition: 'temperature-unknown' }
      : { max: limit.max, condition: 'temperature-unknown' };
  if (waterTempC <= limit.coldWater.atOrBelowC) return { max: limit.coldWater.max, condition: 'cold' };
  return limit.max === undefined ? { condition: 'warm' } : { max: limit.max, condition: 'warm' };
}
