import type { WarningLevel } from './levels.js';

/**
 * Enterprise measures during a warning and their hourly verification (pure).
 *
 * Defaults per performance grade and level follow regulations.md §6.2 ([S45]–[S49]): A and 引领性
 * self-determined ("无事不扰"), B level-specific cuts, C stronger cuts, D stops. The percentages are
 * derived from the whole-society reduction targets 10 % / 20 % / 30 % (yellow / orange / red, [S42]) and
 * are configuration (`heavyPollution.defaultMeasures`), overridable per enterprise and outlet in the
 * registry (regulations.md R11). Verification per regulations.md §6.3 (derived, U): load vs the baseline,
 * stop = flow near zero and no running-process signature, extra concentration caps (Tianjin ≤ 70 %, [S53]).
 */
export const GRADES = ['A', 'B', 'C', 'D', 'leading'] as const;
export type Grade = (typeof GRADES)[number];
export const MEASURE_TYPES = ['stop', 'limit', 'cap', 'self'] as const;
export type MeasureType = (typeof MEASURE_TYPES)[number];

export interface Measure {
  type: MeasureType;
  /** limit: load ≤ percent % of the baseline; cap: concentration ≤ percent % of the limit. */
  percent?: number;
}

export type GradeMeasures = Record<Grade, Record<WarningLevel, Measure>>;

export const DEFAULT_GRADE_MEASURES: GradeMeasures = {
  A: { yellow: { type: 'self' }, orange: { type: 'self' }, red: { type: 'self' } },
  leading: { yellow: { type: 'self' }, orange: { type: 'self' }, red: { type: 'self' } },
  B: {
    yellow: { type: 'limit', percent: 90 },
    orange: { type: 'limit', percent: 80 },
    red: { type: 'limit', percent: 70 },
  },
  C: {
    yellow: { type: 'limit', percent: 80 },
    orange: { type: 'limit', percent: 50 },
    red: { type: 'stop' },
  },
  D: { yellow: { type: 'stop' }, orange: { type: 'stop' }, red: { type: 'stop' } },
};

export const MEASURE_ZH: Record<MeasureType, string> = {
  stop: '停产（生产线停止运行）',
  limit: '限产（排放负荷不超过基准的规定比例）',
  cap: '浓度加严（不超过排放限值的规定比例）',
  self: '自主减排（仅监控）',
};
export function measureTextZh(m: Measure): string {
  if (m.type === 'limit') return `限产：排放负荷不超过基准的 ${m.percent ?? 100}%`;
  if (m.type === 'cap') return `浓度加严：不超过限值的 ${m.percent ?? 100}%`;
  return MEASURE_ZH[m.type];
}
export function measureTextEn(m: Measure): string {
  if (m.type === 'limit') return `limit: load at most ${m.percent ?? 100} % of baseline`;
  if (m.type === 'cap') return `cap: concentration at most ${m.percent ?? 100} % of the limit`;
  return m.type === 'stop' ? 'stop production' : 'self-determined (monitored only)';
}

/** One outlet hour as needed for the verification (from agg_hour). */
export interface OutletHour {
  start: number;
  /** Mean standard-dry flow (a00000, unit as stored) when valid. */
  flow?: number;
  /** O2 % mean when valid (a19001). */
  o2?: number;
  /** Per pollutant: hourly load kg/h and concentration (折算 if the limit is 折算, else measured). */
  pollutants: Map<string, { loadKgH?: number; conc?: number; limit?: number; valid: boolean }>;
}

export interface Baseline {
  /** Mean hourly load per pollutant, kg/h (regulations.md §8, R10). */
  loadKgH: Map<string, number>;
  flow?: number;
  hours: number;
}

export interface VerifySettings {
  /** `stop`: flow above this share of the baseline flow ⇒ still running. */
  stopFlowShare: number;
  /** `stop`: O2 below this % (flue gas, ambient air is 20.9 %) ⇒ combustion still running. */
  stopO2Below: number;
}
export const DEFAULT_VERIFY: VerifySettings = { stopFlowShare: 0.1, stopO2Below: 19 };

export interface HourVerdict {
  status: 'compliant' | 'noncompliant' | 'unknown' | 'monitored';
  /** Evidence of the worst finding (or of the check when compliant). */
  pollutant?: string;
  observed?: number;
  allowed?: number;
  baseline?: number;
  unit?: string;
  reasonZh?: string;
  reasonEn?: string;
}

/**
 * Verifies one outlet hour against its measure. `unknown`: not enough valid data or no baseline (never
 * an alarm: invalid data is not judged, regulations.md R6).
 */
export function verifyHour(
  m: Measure,
  h: OutletHour,
  baseline: Baseline | undefined,
  s: VerifySettings = DEFAULT_VERIFY,
): HourVerdict {
  switch (m.type) {
    case 'self':
      return { status: 'monitored' };
    case 'stop': {
      const flowAllowed = baseline?.flow === undefined ? undefined : s.stopFlowShare * baseline.flow;
      if (h.flow !== undefined && flowAllowed !== undefined && h.flow > flowAllowed) {
        const v: HourVerdict = {
          status: 'noncompliant',
          pollutant: 'a00000',
          observed: h.flow,
          allowed: flowAllowed,
          reasonZh: '停产要求期间烟气流量未降至停运水平',
          reasonEn: 'flow still above the stop threshold',
        };
        if (baseline?.flow !== undefined) v.baseline = baseline.flow;
        return v;
      }
      if (h.o2 !== undefined && h.o2 < s.stopO2Below) {
        return {
          status: 'noncompliant',
          pollutant: 'a19001',
          observed: h.o2,
          allowed: s.stopO2Below,
          unit: '%',
          reasonZh: '停产要求期间含氧量显示燃烧/生产仍在进行',
          reasonEn: 'O2 shows a running process',
        };
      }
      if (h.flow === undefined && h.o2 === undefined) return { status: 'unknown' };
      const ok: HourVerdict = { status: 'compliant', pollutant: 'a00000' };
      if (h.flow !== undefined) ok.observed = h.flow;
      if (flowAllowed !== undefined) ok.allowed = flowAllowed;
      return ok;
    }
    case 'limit': {
      if (!baseline) return { status: 'unknown' };
      const share = (m.percent ?? 100) / 100;
      let worst: HourVerdict | undefined;
      let worstRatio = Number.NEGATIVE_INFINITY;
      for (const [code, b] of baseline.loadKgH) {
        const p = h.pollutants.get(code);
        if (!p?.valid || p.loadKgH === undefined || b <= 0) continue;
        const allowed = share * b;
        const ratio = p.loadKgH / allowed;
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worst = {
            status: p.loadKgH > allowed ? 'noncompliant' : 'compliant',
            pollutant: code,
            observed: p.loadKgH,
            allowed,
            baseline: b,
            unit: 'kg/h',
          };
        }
      }
      if (!worst) return { status: 'unknown' };
      if (worst.status === 'noncompliant') {
        worst.reasonZh = '限产期间小时排放负荷超过基准允许比例';
        worst.reasonEn = 'hourly load above the allowed share of the baseline';
      }
      return worst;
    }
    case 'cap': {
      const share = (m.percent ?? 100) / 100;
      let worst: HourVerdict | undefined;
      let worstRatio = Number.NEGATIVE_INFINITY;
      for (const [code, p] of h.pollutants) {
        if (!p.valid || p.conc === undefined || p.limit === undefined || p.limit <= 0) continue;
        const allowed = share * p.limit;
        const ratio = p.conc / allowed;
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worst = {
            status: p.conc > allowed ? 'noncompliant' : 'compliant',
            pollutant: code,
            observed: p.conc,
            allowed,
          };
        }
      }
      if (!worst) return { status: 'unknown' };
      if (worst.status === 'noncompliant') {
        worst.reasonZh = '浓度超过预警期间加严限值';
        worst.reasonEn = 'concentration above the warning-period cap';
      }
      return worst;
    }
  }
}

/** The measure in force for one outlet: enterprise/outlet override, else the grade default. */
export function measureFor(
  grade: Grade | undefined,
  level: WarningLevel,
  outletId: string,
  overrides: readonly { level: WarningLevel; outlet?: string; type: MeasureType; percent?: number }[],
  defaults: GradeMeasures = DEFAULT_GRADE_MEASURES,
): Measure | undefined {
  const pick = (o: { type: MeasureType; percent?: number }): Measure =>
    o.percent === undefined ? { type: o.type } : { type: o.type, percent: o.percent };
  const exact = overrides.find((o) => o.level === level && o.outlet === outletId);
  if (exact) return pick(exact);
  const all = overrides.find((o) => o.level === level && o.outlet === undefined);
  if (all) return pick(all);
  return grade === undefined ? undefined : defaults[grade][level];
}
