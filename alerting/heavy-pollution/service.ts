import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Registry, RegistryEnterprise, SiteEntry } from '../../config/registry.js';
import { formatIssues } from '../../config/zod-issues.js';
import { type ErrorCode, errorMessage } from '../../core/errors.js';
import { formatIsoLocal, wallTimeToUtc } from '../../core/local-time.js';
import type { Logger } from '../../core/logger.js';
import {
  type InfluxQueryTarget,
  influxQueryOne,
  quoteString,
  seriesRows,
} from '../../ingest/influx-query.js';
import { type FieldValue, type Point, toLineProtocol } from '../../ingest/line-protocol.js';
import { isValidFlag } from '../../ingest/points.js';
import type { Reading } from '../../ingest/reading.js';
import { dayEndOf, dayStartOf, HOUR_MS, hourStartOf } from '../aggregate/time.js';
import { type Authenticator, allows } from '../api/auth.js';
import type { AlertingConfig, RuleId } from '../config.js';
import type { Engine } from '../engine.js';
import type { Alarm } from '../lifecycle/book.js';
import type { TransitionAnnotations } from '../notify/grafana.js';
import type { Outbox } from '../notify/outbox.js';
import type { RenderedMessage } from '../notify/render.js';
import { tier0Channels } from '../notify/routing.js';
import type { Judgement } from '../rules/judge.js';
import { createMirror, type Mirror } from '../store/mirror.js';
import { AQI_CODES, type AqiOptions, type AqiResult, dailyAqi, hourlyAqi, meanOf } from './aqi.js';
import { type HeavyPollutionConfig, thresholdsFor } from './config.js';
import {
  type DailyAqiPoint,
  LEVEL_ZH,
  LEVELS,
  observedLevel,
  RESPONSE_ZH,
  type WarningLevel,
} from './levels.js';
import {
  type Baseline,
  type Grade,
  type GradeMeasures,
  type HourVerdict,
  type Measure,
  measureFor,
  measureTextEn,
  measureTextZh,
  type OutletHour,
  type VerifySettings,
  verifyHour,
} from './measures.js';
import { levelAt, openWarningStore, type Warning, type WarningStore } from './warnings.js';

/**
 * 重污染天气应对: ambient AQI (stations → aqi_hour/aqi_day), observed-period proposals, declared warnings
 * (API, journal, warning_period points, notifications), hourly verification of enterprise measures
 * (non-compliance alarms through the alarm engine) and the response report.
 *
 * Adapter: the pure parts live in aqi.ts, levels.ts, measures.ts. Verification reads `agg_hour` back
 * from InfluxDB (written by the alarm engine), so alarms and the report use the same stored data; the
 * caller runs tick() after the engine's hour close has been written (serve: cron a few minutes later).
 */

const FLOW = 'a00000';
const O2 = 'a19001';
const RULE_BY_MEASURE: Record<'stop' | 'limit' | 'cap', RuleId> = {
  stop: 'hp_stop',
  limit: 'hp_limit',
  cap: 'hp_cap',
};
const HP_RULES: readonly RuleId[] = ['hp_stop', 'hp_limit', 'hp_cap'];
const MAX_STATION_HOURS = 24 * 3;
/** Bound of the closed days re-closed at once after late data (the re-open horizon is far shorter). */
const MAX_RECLOSE_DAYS = 14;
const MAX_REGION_DAYS = 60;

export interface HeavyPollutionDeps {
  config: HeavyPollutionConfig;
  alerting: AlertingConfig;
  registry: Registry;
  engine: Engine;
  outbox: Outbox;
  auth: Authenticator;
  influx: InfluxQueryTarget;
  writeLines: (lines: readonly string[]) => Promise<void>;
  log: Logger;
  now(): number;
  newId?: () => string;
  /** Grafana annotations of warning transitions (GRAFANA_URL + GRAFANA_TOKEN); best effort. */
  annotations?: Pick<TransitionAnnotations, 'warning' | 'idle'>;
}

export interface AffectedOutlet {
  enterprise: RegistryEnterprise;
  site: SiteEntry;
  measure: Measure;
}

export interface OutletReport {
  enterprise: string;
  enterpriseName: string;
  grade: string | null;
  outlet: string;
  outletName: string;
  measure: Measure & { textZh: string; textEn: string };
  baseline: { loadKgH: Record<string, number>; flow: number | null; hours: number } | null;
  observed: { loadKgH: Record<string, number>; flow: number | null };
  hoursInWarning: number;
  evaluatedHours: number;
  compliantHours: number;
  compliantPercent: number | null;
  noncompliantHours: number;
  alarms: { id: string; rule: string; state: string; openedAt: string }[];
}

export interface HeavyPollution {
  start(): void;
  stop(deadlineMs?: number): Promise<void>;
  onReading(reading: Reading, site: SiteEntry): void;
  /** Closes ambient hours and days, proposes observed periods, verifies measures. */
  tick(now?: number): Promise<{ hours: number; days: number; verified: number }>;
  flush(): Promise<void>;
  readonly httpPlugin: FastifyPluginAsync;
  warnings(): Warning[];
  report(id: string): Promise<{ warning: Warning; outlets: OutletReport[] } | undefined>;
}

interface StationHour {
  sums: Map<string, { sum: number; n: number }>;
  direct: Map<string, number>;
  closed: boolean;
}

interface StationState {
  site: SiteEntry;
  open: Map<number, StationHour>;
  /** Accumulators of closed hours within the re-open horizon (late data is added to them). */
  closedAcc: Map<number, StationHour>;
  /** Closed hours that received late data: recomputed at the next tick. */
  dirty: Set<number>;
  /** Closed hours: code → hourly mean (μg/m³, CO mg/m³). */
  hours: Map<number, Map<string, number>>;
}

/** μg/m³ for every AQI code except CO (mg/m³), from the registry unit (reference/aqi.md units). */
function toAqiUnit(code: string, unit: string | undefined, v: number): number {
  const u = (unit ?? '').toLowerCase().replace('μ', 'u');
  if (code === AQI_CODES.co) return u.startsWith('ug') ? v / 1000 : v;
  return u.startsWith('mg') ? v * 1000 : v;
}

export function createHeavyPollution(deps: HeavyPollutionDeps): HeavyPollution {
  const { config, registry, engine, log } = deps;
  const zone = registry.timeZone;
  const lateMs = deps.alerting.latenessMinutes * 60_000;
  const reopenMs = deps.alerting.reopenHours * HOUR_MS;
  /** Closed station hours are kept for moving means (24 h) of every hour late data can still reach. */
  const keepHours = Math.max(MAX_STATION_HOURS, deps.alerting.reopenHours + 48);
  const aqiOpts: AqiOptions = { rounding: config.aqiRounding };
  const verify: VerifySettings = { stopFlowShare: config.stopFlowShare, stopO2Below: config.stopO2Below };

  /** Open (active or acknowledged) episodes of one rule at one outlet, optionally of one pollutant/level. */
  const openAlarms = (outlet: string, rule: RuleId, pollutant?: string) =>
    engine.listAlarms({
      outlet,
      rule,
      ...(pollutant !== undefined && { pollutant }),
      state: ['active', 'acknowledged'],
      limit: 10,
      offset: 0,
    }).items;
  const gradeMeasures = config.defaultMeasures as GradeMeasures;
  const newId = deps.newId ?? (() => randomUUID());
  const mirror: Mirror = createMirror({ write: deps.writeLines, log: log.child({ part: 'hp-mirror' }) });
  let store: WarningStore | undefined;

  const stations = new Map<string, StationState>();
  for (const s of registry.stations())
    stations.set(s.outlet.id, {
      site: s,
      open: new Map(),
      closedAcc: new Map(),
      dirty: new Set(),
      hours: new Map(),
    });
  const regionDays = new Map<string, DailyAqiPoint[]>();
  const regionLastDay = new Map<string, number>();
  /** Hours verified per warning and outlet (newest hour start). */
  const verifiedUpTo = new Map<string, number>();
  const baselines = new Map<string, Baseline | null>();

  // -------------------------------------------------------------------------------------------
  // ambient stations

  function onReading(reading: Reading, site: SiteEntry): void {
    const st = site.station ? stations.get(site.outlet.id) : undefined;
    if (!st) return;
    if (reading.kind !== 'rtd' && reading.kind !== 'minute' && reading.kind !== 'hour') return;
    const hs = hourStartOf(reading.dataTime.getTime(), zone);
    let h = st.open.get(hs);
    if (!h && st.hours.has(hs)) {
      // Hour already closed: late data within the re-open horizon re-opens it (recomputed at the next
      // tick: station and regional aqi_hour, affected days, the observed-period proposal); older data
      // is not aggregated.
      if (hs + HOUR_MS < deps.now() - reopenMs) return;
      h = st.closedAcc.get(hs);
      if (!h) {
        h = { sums: new Map(), direct: new Map(), closed: true };
        st.closedAcc.set(hs, h);
      }
      st.dirty.add(hs);
    }
    if (!h) {
      h = { sums: new Map(), direct: new Map(), closed: false };
      st.open.set(hs, h);
    }
    const unitOf = new Map(site.outlet.pollutants.map((p) => [p.code, p.unit]));
    for (const v of reading.values) {
      const raw = reading.kind === 'rtd' ? v.rtd : v.avg;
      if (raw === undefined || !isValidFlag(v.flag)) continue;
      const x = toAqiUnit(v.code, unitOf.get(v.code), raw);
      if (reading.kind === 'hour') h.direct.set(v.code, x);
      else {
        const s = h.sums.get(v.code) ?? { sum: 0, n: 0 };
        s.sum += x;
        s.n++;
        h.sums.set(v.code, s);
      }
    }
  }

  function movingMean(st: StationState, code: string, end: number, hours: number, minHours: number) {
    const xs: number[] = [];
    for (let t = end - hours * HOUR_MS; t < end; t += HOUR_MS) {
      const v = st.hours.get(t)?.get(code);
      if (v !== undefined) xs.push(v);
    }
    return xs.length >= minHours ? meanOf(xs) : undefined;
  }

  /** HJ 633 hourly inputs of a station hour (24-h moving PM means need ≥ 20 hours; O3 8-h ≥ 6). */
  function hourInputs(st: StationState, hs: number) {
    const h = st.hours.get(hs);
    const end = hs + HOUR_MS;
    const x: Parameters<typeof hourlyAqi>[0] = {};
    const set = <K extends keyof typeof x>(k: K, v: number | undefined) => {
      if (v !== undefined) x[k] = v;
    };
    set('so2_1h', h?.get(AQI_CODES.so2));
    set('so2_24h', movingMean(st, AQI_CODES.so2, end, 24, config.dayMinValidHours));
    set('no2_1h', h?.get(AQI_CODES.no2));
    set('co_1h', h?.get(AQI_CODES.co));
    set('o3_1h', h?.get(AQI_CODES.o3));
    set('o3_8h', movingMean(st, AQI_CODES.o3, end, 8, 6));
    set('pm10_24h', movingMean(st, AQI_CODES.pm10, end, 24, config.dayMinValidHours));
    set('pm25_24h', movingMean(st, AQI_CODES.pm25, end, 24, config.dayMinValidHours));
    return x;
  }

  function aqiPoint(
    measurement: 'aqi_hour' | 'aqi_day',
    r: AqiResult,
    region: string,
    station: string | undefined,
    t: number,
  ): Point {
    const fields: Record<string, FieldValue> = {
      aqi: { int: r.aqi },
      primary: r.primary.join(','),
      category: { int: r.category.category },
    };
    for (const [code, v] of Object.entries(r.iaqi)) fields[`iaqi_${code}`] = { int: v };
    const tags: Record<string, string> = { region };
    if (station !== undefined) tags.station = station;
    return { measurement, tags, fields, timeMs: t };
  }

  function meansOf(h: StationHour): Map<string, number> {
    const means = new Map<string, number>(h.direct);
    for (const [code, x] of h.sums) if (!means.has(code) && x.n > 0) means.set(code, x.sum / x.n);
    return means;
  }

  /** Station aqi_hour line of a closed hour (and its inputs, for the regional mean). */
  function stationHourLine(st: StationState, hs: number, lines: string[]) {
    const x = hourInputs(st, hs);
    const r = hourlyAqi(x, aqiOpts);
    if (r)
      lines.push(toLineProtocol(aqiPoint('aqi_hour', r, st.site.enterprise.region, st.site.outlet.id, hs)));
  }

  /** Regional hourly AQI: mean of the concentrations of the region's stations that closed that hour. */
  function regionHourLine(region: string, hs: number, lines: string[]) {
    const xs: Parameters<typeof hourlyAqi>[0][] = [];
    for (const st of stations.values())
      if (st.site.enterprise.region === region && st.hours.has(hs)) xs.push(hourInputs(st, hs));
    if (xs.length === 0) return;
    const r = hourlyAqi(meanInputs(xs), aqiOpts);
    if (r) lines.push(toLineProtocol(aqiPoint('aqi_hour', r, region, undefined, hs)));
  }

  /**
   * Closes due hours and recomputes closed hours that received late data. Returns the number of hours
   * closed or recomputed and, per region, the hours touched (days already closed that contain one of
   * them, or whose 24-h / 8-h means reach them, are re-closed).
   */
  function closeHours(now: number): { n: number; touched: Map<string, Set<number>> } {
    let n = 0;
    const lines: string[] = [];
    const regionHours = new Map<string, Set<number>>();
    const touched = new Map<string, Set<number>>();
    const touch = (region: string, hs: number) => {
      const t = touched.get(region) ?? new Set<number>();
      t.add(hs);
      touched.set(region, t);
    };
    for (const st of stations.values()) {
      const region = st.site.enterprise.region;
      const rh = regionHours.get(region) ?? new Set<number>();
      regionHours.set(region, rh);
      const due = [...st.open.keys()].filter((hs) => hs + HOUR_MS + lateMs <= now).sort((a, b) => a - b);
      for (const hs of due) {
        const h = st.open.get(hs) as StationHour;
        st.open.delete(hs);
        h.closed = true;
        st.hours.set(hs, meansOf(h));
        if (hs + HOUR_MS >= now - reopenMs) st.closedAcc.set(hs, h);
        stationHourLine(st, hs, lines);
        rh.add(hs);
        touch(region, hs);
        n++;
      }
      // Late data: the hour's means change, and so do the moving means of the 23 hours after it.
      const late = [...st.dirty].sort((a, b) => a - b);
      st.dirty.clear();
      const again = new Set<number>();
      for (const hs of late) {
        const h = st.closedAcc.get(hs);
        if (!h) continue;
        st.hours.set(hs, meansOf(h));
        for (let t = hs; t < hs + 24 * HOUR_MS; t += HOUR_MS) if (st.hours.has(t)) again.add(t);
        n++;
      }
      for (const hs of again) {
        stationHourLine(st, hs, lines);
        rh.add(hs);
        touch(region, hs);
      }
      for (const hs of st.hours.keys()) if (hs < now - keepHours * HOUR_MS) st.hours.delete(hs);
      for (const hs of st.closedAcc.keys()) if (hs + HOUR_MS < now - reopenMs) st.closedAcc.delete(hs);
    }
    for (const [region, hs] of regionHours) for (const t of hs) regionHourLine(region, t, lines);
    mirror.push(lines);
    return { n, touched };
  }

  function meanInputs<T extends object>(xs: readonly T[]): T {
    const out: Record<string, number> = {};
    const keys = new Set(xs.flatMap((x) => Object.keys(x)));
    for (const k of keys) {
      const m = meanOf(xs.map((x) => (x as Record<string, number | undefined>)[k]));
      if (m !== undefined) out[k] = m;
    }
    return out as T;
  }

  function stationDay(st: StationState, ds: number, de: number): Parameters<typeof dailyAqi>[0] {
    const x: Parameters<typeof dailyAqi>[0] = {};
    const mean24 = (code: string) => {
      const xs: number[] = [];
      for (let t = ds; t < de; t += HOUR_MS) {
        const v = st.hours.get(t)?.get(code);
        if (v !== undefined) xs.push(v);
      }
      return xs.length >= config.dayMinValidHours ? meanOf(xs) : undefined;
    };
    const set = <K extends keyof typeof x>(k: K, v: number | undefined) => {
      if (v !== undefined) x[k] = v;
    };
    set('so2_24h', mean24(AQI_CODES.so2));
    set('no2_24h', mean24(AQI_CODES.no2));
    set('co_24h', mean24(AQI_CODES.co));
    set('pm10_24h', mean24(AQI_CODES.pm10));
    set('pm25_24h', mean24(AQI_CODES.pm25));
    let o3max: number | undefined;
    let o38max: number | undefined;
    for (let t = ds; t < de; t += HOUR_MS) {
      const v = st.hours.get(t)?.get(AQI_CODES.o3);
      if (v !== undefined) o3max = Math.max(o3max ?? v, v);
      const m8 = movingMean(st, AQI_CODES.o3, t + HOUR_MS, 8, 6);
      if (m8 !== undefined) o38max = Math.max(o38max ?? m8, m8);
    }
    set('o3_1h_max', o3max);
    set('o3_8h_max', o38max);
    return x;
  }

  function stationsByRegion(): Map<string, StationState[]> {
    const regions = new Map<string, StationState[]>();
    for (const st of stations.values()) {
      const list = regions.get(st.site.enterprise.region) ?? [];
      list.push(st);
      regions.set(st.site.enterprise.region, list);
    }
    return regions;
  }

  /** Station and regional aqi_day of one day; the regional daily AQI (or undefined). */
  function dayAqi(region: string, sts: readonly StationState[], ds: number, de: number, lines: string[]) {
    const inputs: Parameters<typeof dailyAqi>[0][] = [];
    for (const st of sts) {
      const x = stationDay(st, ds, de);
      const r = dailyAqi(x, aqiOpts);
      if (r) {
        lines.push(toLineProtocol(aqiPoint('aqi_day', r, region, st.site.outlet.id, ds)));
        inputs.push(x);
      }
    }
    const r = inputs.length > 0 ? dailyAqi(meanInputs(inputs), aqiOpts) : undefined;
    if (r) lines.push(toLineProtocol(aqiPoint('aqi_day', r, region, undefined, ds)));
    return r;
  }

  function closeDays(now: number, touched: ReadonlyMap<string, ReadonlySet<number>>): number {
    let n = 0;
    const lines: string[] = [];
    for (const [region, sts] of stationsByRegion()) {
      const hoursSeen = sts.flatMap((s) => [...s.hours.keys()]);
      if (hoursSeen.length === 0) continue;
      n += recloseDays(region, sts, touched.get(region), lines);
      let ds = regionLastDay.get(region) ?? dayStartOf(Math.min(...hoursSeen), zone);
      for (let guard = 0; guard < 400; guard++) {
        const de = dayEndOf(ds, zone);
        if (de + lateMs > now) break;
        const r = dayAqi(region, sts, ds, de, lines);
        if (r) {
          const days = regionDays.get(region) ?? [];
          days.push({ day: ds, aqi: r.aqi });
          if (days.length > MAX_REGION_DAYS) days.splice(0, days.length - MAX_REGION_DAYS);
          regionDays.set(region, days);
          propose(region, days, sts[0] as StationState, ds, de, lines, false);
        }
        n++;
        ds = de;
        regionLastDay.set(region, ds);
      }
    }
    mirror.push(lines);
    return n;
  }

  /**
   * Late data: days already closed that contain a touched hour (or whose O3 8-h maximum reaches one:
   * up to 7 hours into the next day) are recomputed, and the observed-period proposal of every closed
   * day from the first of them on is re-run with corrected values (a run can end, start or change
   * level).
   */
  function recloseDays(
    region: string,
    sts: readonly StationState[],
    touched: ReadonlySet<number> | undefined,
    lines: string[],
  ): number {
    const last = regionLastDay.get(region);
    if (!touched || touched.size === 0 || last === undefined) return 0;
    const affected = new Set<number>();
    for (const hs of touched) {
      for (const t of [hs, hs + 7 * HOUR_MS]) {
        const ds = dayStartOf(t, zone);
        if (ds < last) affected.add(ds);
      }
    }
    if (affected.size === 0) return 0;
    const first = Math.min(...affected);
    let days = regionDays.get(region) ?? [];
    let n = 0;
    for (let ds = first, guard = 0; ds < last && guard < MAX_RECLOSE_DAYS; guard++) {
      const de = dayEndOf(ds, zone);
      if (affected.has(ds)) {
        const r = dayAqi(region, sts, ds, de, lines);
        days = days.filter((d) => d.day !== ds);
        if (r) days.push({ day: ds, aqi: r.aqi });
        days.sort((a, b) => a.day - b.day);
        n++;
      }
      if (days.some((d) => d.day === ds) || affected.has(ds))
        propose(
          region,
          days.filter((d) => d.day <= ds),
          sts[0] as StationState,
          ds,
          de,
          lines,
          true,
        );
      ds = de;
    }
    regionDays.set(region, days);
    return n;
  }

  /** A synthetic site for region-level alarms (proposals): tags region, outlet `region-<name>`. */
  function regionSite(region: string, any: StationState): SiteEntry {
    const outlet = { ...any.site.outlet, id: `region-${region}`, name: `${region} 环境空气` };
    return {
      enterprise: { id: `region-${region}`, name: region, region, outlets: [outlet] },
      outlet,
      gateway: any.site.gateway,
      pollutantCodes: new Set(),
    };
  }

  function propose(
    region: string,
    days: readonly DailyAqiPoint[],
    any: StationState,
    ds: number,
    de: number,
    lines: string[],
    correcting: boolean,
  ): void {
    const t = thresholdsFor(config, region);
    const obs = days.at(-1)?.day === ds ? observedLevel(days, t) : undefined;
    if (correcting) {
      // Re-closed day: a proposal of another level (or of none) made for this day is withdrawn or
      // corrected through the lifecycle (a window re-judged below: `correct`).
      for (const level of LEVELS) {
        if (level === obs?.level) continue;
        const open = openAlarms(`region-${region}`, 'hp_observed', level);
        if (!open.some((a) => a.windows.includes(ds))) continue;
        engine.raise(
          {
            key: { outletId: `region-${region}`, pollutant: level, rule: 'hp_observed' },
            kind: 'below',
            windowStart: ds,
            windowEnd: de,
            basis: 'measured',
            clearFor: {},
            reason: 'late ambient data: the day no longer meets this level',
          },
          regionSite(region, any),
        );
      }
    }
    if (!obs) return;
    const limit = obs.level === 'yellow' ? t.heavyAbove : t.severeAbove;
    const textZh = `观测到重污染，建议预警级别 ${LEVEL_ZH[obs.level]}（${RESPONSE_ZH[obs.level]}响应）：连续 ${obs.runDays} 天日 AQI > ${t.heavyAbove}，其中 ${obs.severeDays} 天 > ${t.severeAbove}；最近一日 AQI ${obs.lastAqi}。须由主管部门决定是否发布。`;
    const textEn = `Observed heavy pollution, suggested level ${obs.level}: ${obs.runDays} days with daily AQI > ${t.heavyAbove}, ${obs.severeDays} > ${t.severeAbove}; last day AQI ${obs.lastAqi}. Not official until declared.`;
    const j: Judgement = {
      key: { outletId: `region-${region}`, pollutant: obs.level, rule: 'hp_observed' },
      kind: 'exceeded',
      level: 'warning',
      windowStart: ds,
      windowEnd: de,
      value: obs.lastAqi,
      limit,
      unit: 'AQI',
      basis: 'measured',
      clearFor: {},
      evidence: {
        textZh,
        textEn,
        values: { runDays: obs.runDays, severeDays: obs.severeDays, runStart: obs.runStart },
      },
    };
    engine.raise(j, regionSite(region, any));
    lines.push(
      toLineProtocol({
        measurement: 'warning_period',
        tags: { region, level: obs.level },
        fields: {
          warning_id: `observed-${region}-${obs.runStart}`,
          transition: 'proposed',
          start_ms: { int: obs.runStart },
          end_ms: { int: de },
          authority: '',
          doc_no: '',
          text_zh: textZh,
        },
        timeMs: de,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // declared warnings: affected outlets, notifications, points

  function affected(region: string, level: WarningLevel): AffectedOutlet[] {
    const out: AffectedOutlet[] = [];
    for (const site of registry.entries()) {
      const e = site.enterprise;
      if (e.region !== region) continue;
      const m = measureFor(
        e.grade as Grade | undefined,
        level,
        site.outlet.id,
        e.measures ?? [],
        gradeMeasures,
      );
      if (m) out.push({ enterprise: e, site, measure: m });
    }
    return out;
  }

  const iso = (t: number) => formatIsoLocal(t, zone);

  function warningText(w: Warning, transition: string, enterprise?: RegistryEnterprise) {
    const verbZh = transition === 'issued' ? '发布' : transition === 'changed' ? '调整' : '解除';
    const verbEn = transition === 'issued' ? 'issued' : transition === 'changed' ? 'changed' : 'lifted';
    const titleZh = `【重污染天气预警${verbZh}】${w.region} ${LEVEL_ZH[w.level]}预警（${RESPONSE_ZH[w.level]}响应）`;
    const titleEn = `[Heavy-pollution warning ${verbEn}] ${w.region} ${w.level} warning`;
    const zh = [
      `区域：${w.region}`,
      `预警级别：${LEVEL_ZH[w.level]}（${RESPONSE_ZH[w.level]}响应）`,
      `开始时间：${iso(w.start)}`,
      `${w.end !== undefined ? '结束时间' : '计划结束'}：${iso(w.end ?? w.plannedEnd)}`,
      `发布单位：${w.authority}`,
      `文号：${w.docNo}`,
      `预警编号：${w.id}`,
    ];
    const en = [
      `Region: ${w.region}`,
      `Level: ${w.level}`,
      `Start: ${iso(w.start)}`,
      `${w.end !== undefined ? 'End' : 'Planned end'}: ${iso(w.end ?? w.plannedEnd)}`,
      `Authority: ${w.authority}`,
      `Document: ${w.docNo}`,
      `Warning id: ${w.id}`,
    ];
    if (enterprise && transition !== 'lifted') {
      zh.push(`企业：${enterprise.name}（绩效等级 ${enterprise.grade ?? '未分级'}），须执行以下措施：`);
      en.push(`Enterprise: ${enterprise.name} (grade ${enterprise.grade ?? '-'}), required measures:`);
      for (const a of affected(w.region, w.level).filter((x) => x.enterprise.id === enterprise.id)) {
        zh.push(`  ${a.site.outlet.name}：${measureTextZh(a.measure)}`);
        en.push(`  ${a.site.outlet.name}: ${measureTextEn(a.measure)}`);
      }
    }
    if (enterprise && transition === 'lifted') {
      zh.push(`企业：${enterprise.name}，可恢复正常生产。`);
      en.push(`Enterprise: ${enterprise.name} may resume normal operation.`);
    }
    const textZh = [titleZh, ...zh].join('\n');
    const textEn = [titleEn, ...en].join('\n');
    const language = deps.alerting.language;
    const zhFirst = language === 'zh';
    const msg: RenderedMessage = {
      language,
      title: zhFirst ? titleZh : titleEn,
      markdown: [`### ${zhFirst ? titleZh : titleEn}`, ...(zhFirst ? zh : en).map((l) => `- ${l}`)].join(
        '\n',
      ),
      text: zhFirst ? textZh : textEn,
      textZh,
      textEn,
    };
    return msg;
  }

  /** A notification-only Alarm shape: the channels speak Alarm (webhookBody); it never enters the book. */
  function noticeAlarm(w: Warning, enterpriseId: string, now: number): Alarm {
    return {
      id: w.id,
      key: `warning|${w.id}|${enterpriseId}`,
      outletId: `region-${w.region}`,
      pollutant: w.level,
      rule: 'hp_warning',
      enterpriseId,
      region: w.region,
      mn: '',
      severity: 'warning',
      state: w.state === 'lifted' ? 'cleared' : 'active',
      openedAt: w.createdAt,
      updatedAt: now,
      firstWindowStart: w.start,
      lastWindowStart: w.start,
      lastWindowEnd: w.end ?? w.plannedEnd,
      basis: 'measured',
      windows: [],
      lastJudgedWindow: w.start,
      belowCount: 0,
      tiersDone: [],
      evidence: {
        values: {
          level: w.level,
          start: w.start,
          plannedEnd: w.plannedEnd,
          authority: w.authority,
          docNo: w.docNo,
        },
      },
    };
  }

  function notify(w: Warning, transition: 'issued' | 'changed' | 'lifted', seq: number, now: number): void {
    const duty = noticeAlarm(w, '', now);
    const jobs: { channelId: string; alarm: Alarm; msg: RenderedMessage; emails: string[]; who: string }[] =
      [];
    for (const channelId of tier0Channels(deps.alerting.routes, duty))
      jobs.push({ channelId, alarm: duty, msg: warningText(w, transition), emails: [], who: 'duty' });
    const enterprises = new Map(affected(w.region, w.level).map((a) => [a.enterprise.id, a.enterprise]));
    for (const e of enterprises.values()) {
      const emails = (e.contacts ?? []).flatMap((c) => (c.email ? [c.email] : []));
      for (const channelId of config.enterpriseChannels)
        jobs.push({
          channelId,
          alarm: noticeAlarm(w, e.id, now),
          msg: warningText(w, transition, e),
          emails,
          who: e.id,
        });
    }
    // Journaled (queue records with the notice snapshot, fsync) before the outbox sees them: a crash
    // mid-delivery resends on start what was not confirmed; attempts are journaled by the outbox hook.
    engine.enqueueNotices(
      jobs.map((j) => ({
        id: `${w.id}-${seq}-${j.who}-${j.channelId}`,
        channelId: j.channelId,
        eventSeq: seq,
        delivery: {
          alarm: j.alarm,
          transition: transition === 'lifted' ? 'clear' : transition === 'issued' ? 'open' : 'update',
          message: j.msg,
          contactEmails: j.emails,
        },
      })),
    );
  }

  /**
   * Start: a warning transition saved but never queued (crash between the two) is notified now. Only
   * the newest transition of a warning can be in that state; transitions older than the re-open horizon
   * are left alone (a journal from before notices were queued must not re-announce old warnings).
   */
  function renotifyUnqueued(now: number): number {
    let n = 0;
    const horizon = now - deps.alerting.reopenHours * HOUR_MS;
    for (const w of store?.warnings.values() ?? []) {
      const seq = w.history.length;
      const last = w.history[seq - 1];
      if (!last || last.at < horizon || engine.noticeQueued(w.id, seq)) continue;
      notify(w, last.transition, seq, now);
      log.warn(
        { warning: w.id, transition: last.transition, seq },
        'warning transition had no queued notification (crash): notified now',
      );
      n++;
    }
    return n;
  }

  const lastPointMs = new Map<string, number>();
  function warningPoint(w: Warning, transition: string, time: number): string {
    // Same tags + time overwrite in InfluxDB: two transitions in one millisecond are nudged (+1 ms),
    // as the engine does for alarm_event.
    const series = `${w.region}|${w.level}`;
    const last = lastPointMs.get(series);
    const at = last !== undefined && time <= last ? last + 1 : time;
    lastPointMs.set(series, at);
    return toLineProtocol({
      measurement: 'warning_period',
      tags: { region: w.region, level: w.level },
      fields: {
        warning_id: w.id,
        transition,
        start_ms: { int: w.start },
        end_ms: { int: w.end ?? w.plannedEnd },
        authority: w.authority,
        doc_no: w.docNo,
        text_zh: warningText(w, transition).textZh,
      },
      timeMs: at,
    });
  }

  function record(w: Warning, transition: 'issued' | 'changed' | 'lifted', now: number): void {
    if (!store) throw new Error('heavy-pollution not started');
    store.save(w); // durable before anyone is told (journal discipline)
    mirror.push([warningPoint(w, transition, now)]);
    notify(w, transition, w.history.length, now);
    deps.annotations?.warning({
      warningId: w.id,
      transition,
      region: w.region,
      level: w.level,
      startMs: w.start,
      endMs: w.end ?? w.plannedEnd,
      textZh: warningText(w, transition).title,
    });
    log.info({ warning: w.id, region: w.region, level: w.level, transition }, 'warning period transition');
  }

  function issue(input: {
    region: string;
    level: WarningLevel;
    start: number;
    plannedEnd: number;
    authority: string;
    docNo: string;
    actor: string;
  }): Warning {
    const now = deps.now();
    const w: Warning = {
      id: newId(),
      region: input.region,
      level: input.level,
      start: input.start,
      plannedEnd: input.plannedEnd,
      authority: input.authority,
      docNo: input.docNo,
      state: 'active',
      createdAt: now,
      history: [
        {
          at: now,
          transition: 'issued',
          level: input.level,
          actor: input.actor,
          plannedEnd: input.plannedEnd,
        },
      ],
    };
    record(w, 'issued', now);
    return w;
  }

  function change(
    id: string,
    patch: { level?: WarningLevel; plannedEnd?: number; end?: number; comment?: string },
    actor: string,
  ): { ok: true; warning: Warning } | { ok: false; status: number; code: ErrorCode; message: string } {
    const cur = store?.warnings.get(id);
    if (!cur) return { ok: false, status: 404, code: 'ALR_NOT_FOUND', message: `no warning ${id}` };
    if (cur.state === 'lifted')
      return { ok: false, status: 409, code: 'ALR_STATE_CONFLICT', message: `warning ${id} is lifted` };
    const now = deps.now();
    const w = structuredClone(cur);
    const lifting = patch.end !== undefined;
    if (patch.level) w.level = patch.level;
    if (patch.plannedEnd !== undefined) w.plannedEnd = patch.plannedEnd;
    const entry = {
      at: now,
      transition: lifting ? ('lifted' as const) : ('changed' as const),
      level: w.level,
      actor,
      plannedEnd: w.plannedEnd,
      ...(patch.comment !== undefined ? { comment: patch.comment } : {}),
    };
    if (lifting) {
      w.end = Math.max(w.start, patch.end as number);
      w.state = 'lifted';
    }
    w.history.push(entry);
    record(w, entry.transition, now);
    return { ok: true, warning: w };
  }

  // -------------------------------------------------------------------------------------------
  // verification

  interface AggRow {
    time: number;
    pollutant: string;
    origin: string;
    mean?: number;
    zs_mean?: number;
    load_kg_h?: number;
    limit?: number;
    valid: boolean;
  }

  async function aggRows(outlet: string, from: number, to: number): Promise<AggRow[]> {
    const q = `SELECT "mean","zs_mean","load_kg_h","limit","valid","pollutant","origin" FROM "agg_hour" WHERE "outlet" = ${quoteString(outlet)} AND time >= ${from}ms AND time < ${to}ms`;
    const rows = seriesRows(await influxQueryOne(deps.influx, q));
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    // Per hour and pollutant the centre's computed aggregate wins over the device's (engine's choice).
    const best = new Map<string, AggRow>();
    for (const r of rows) {
      const row: AggRow = {
        time: Number(r.time),
        pollutant: String(r.pollutant),
        origin: String(r.origin),
        valid: r.valid === true,
      };
      const m = num(r.mean);
      if (m !== undefined) row.mean = m;
      const z = num(r.zs_mean);
      if (z !== undefined) row.zs_mean = z;
      const l = num(r.load_kg_h);
      if (l !== undefined) row.load_kg_h = l;
      const lim = num(r.limit);
      if (lim !== undefined) row.limit = lim;
      const key = `${row.time}|${row.pollutant}`;
      const prev = best.get(key);
      if (!prev || (prev.origin !== 'computed' && row.origin === 'computed')) best.set(key, row);
    }
    return [...best.values()];
  }

  function hoursOf(rows: readonly AggRow[]): Map<number, OutletHour> {
    const out = new Map<number, OutletHour>();
    for (const r of rows) {
      let h = out.get(r.time);
      if (!h) {
        h = { start: r.time, pollutants: new Map() };
        out.set(r.time, h);
      }
      if (r.pollutant === FLOW && r.valid && r.mean !== undefined) h.flow = r.mean;
      else if (r.pollutant === O2 && r.valid && r.mean !== undefined) h.o2 = r.mean;
      const p: { loadKgH?: number; conc?: number; limit?: number; valid: boolean } = { valid: r.valid };
      if (r.load_kg_h !== undefined) p.loadKgH = r.load_kg_h;
      const conc = r.zs_mean ?? r.mean;
      if (conc !== undefined) p.conc = conc;
      if (r.limit !== undefined) p.limit = r.limit;
      if (r.pollutant !== FLOW && r.pollutant !== O2) h.pollutants.set(r.pollutant, p);
    }
    return out;
  }

  /** Baseline: valid hours of the `baselineDays` before the warning, minus earlier warning periods. */
  async function baselineFor(w: Warning, outlet: string): Promise<Baseline | undefined> {
    const key = `${w.id}|${outlet}`;
    if (baselines.has(key)) return baselines.get(key) ?? undefined;
    const from = w.start - config.baselineDays * 24 * HOUR_MS;
    const rows = await aggRows(outlet, from, w.start);
    const earlier = [...(store?.warnings.values() ?? [])].filter(
      (x) => x.id !== w.id && x.region === w.region,
    );
    const inEarlier = (t: number) => earlier.some((x) => t >= x.start && t < (x.end ?? x.plannedEnd));
    const loads = new Map<string, number[]>();
    const flows: number[] = [];
    const hours = new Set<number>();
    for (const r of rows) {
      if (!r.valid || inEarlier(r.time)) continue;
      hours.add(r.time);
      if (r.pollutant === FLOW && r.mean !== undefined) flows.push(r.mean);
      if (r.load_kg_h !== undefined) {
        const l = loads.get(r.pollutant) ?? [];
        l.push(r.load_kg_h);
        loads.set(r.pollutant, l);
      }
    }
    if (hours.size === 0) {
      log.warn({ code: 'HP_NO_BASELINE', warning: w.id, outlet }, 'no valid baseline hours');
      baselines.set(key, null);
      return undefined;
    }
    const b: Baseline = { loadKgH: new Map(), hours: hours.size };
    for (const [code, l] of loads) b.loadKgH.set(code, meanOf(l) as number);
    const f = meanOf(flows);
    if (f !== undefined) b.flow = f;
    baselines.set(key, b);
    return b;
  }

  function judgementOf(
    a: AffectedOutlet,
    v: HourVerdict,
    hs: number,
    b: Baseline | undefined,
    period?: { zh: string; en: string; name: string },
  ): Judgement | undefined {
    if (a.measure.type === 'self') return undefined;
    const rule = RULE_BY_MEASURE[a.measure.type];
    const base = {
      key: { outletId: a.site.outlet.id, pollutant: '-', rule },
      windowStart: hs,
      windowEnd: hs + HOUR_MS,
      basis: 'measured' as const,
    };
    if (v.status === 'unknown' || v.status === 'monitored') return { ...base, kind: 'invalid', clearFor: {} };
    if (v.status === 'compliant') return { ...base, kind: 'below', clearFor: { exceedance: true } };
    const fmt = (x: number | undefined) => (x === undefined ? '-' : String(Number(x.toFixed(3))));
    const unit = v.unit ?? (v.pollutant === FLOW ? 'm3/s' : '');
    const j: Judgement = {
      ...base,
      kind: 'exceeded',
      level: 'exceedance',
      clearFor: {},
      unit,
      evidence: {
        textZh: `${period ? `${period.zh}：` : ''}${v.reasonZh ?? ''}；措施：${measureTextZh(a.measure)}；指标 ${v.pollutant ?? '-'}：实测 ${fmt(v.observed)}，允许 ${fmt(v.allowed)}，基准 ${fmt(v.baseline)} ${unit}（基准 ${b?.hours ?? 0} 个有效小时）`,
        textEn: `${period ? `${period.en}: ` : ''}${v.reasonEn ?? ''}; measure: ${measureTextEn(a.measure)}; ${v.pollutant ?? '-'}: observed ${fmt(v.observed)}, allowed ${fmt(v.allowed)}, baseline ${fmt(v.baseline)} ${unit}`,
        values: {
          measure: a.measure.type,
          percent: a.measure.percent ?? 100,
          pollutant: v.pollutant ?? '-',
          observed: v.observed ?? Number.NaN,
          allowed: v.allowed ?? Number.NaN,
          baseline: v.baseline ?? Number.NaN,
          baselineHours: b?.hours ?? 0,
          ...(period ? { period: period.name } : {}),
        },
      },
    };
    if (v.observed !== undefined) j.value = v.observed;
    if (v.allowed !== undefined) j.limit = v.allowed;
    return j;
  }

  async function verifyAll(now: number): Promise<number> {
    let n = 0;
    const lastClosed = hourStartOf(now - lateMs, zone) - HOUR_MS; // newest hour the engine has closed
    for (const w of store?.warnings.values() ?? []) {
      const end = w.end ?? Number.POSITIVE_INFINITY;
      const outlets = new Map<string, AffectedOutlet>();
      for (const l of new Set(w.history.map((h) => h.level)))
        for (const a of affected(w.region, l)) outlets.set(a.site.outlet.id, a);
      for (const oid of outlets.keys()) {
        const key = `${w.id}|${oid}`;
        const from = Math.max(w.start, (verifiedUpTo.get(key) ?? w.start - HOUR_MS) + HOUR_MS);
        const to = Math.min(end, lastClosed + HOUR_MS);
        if (from >= to) continue;
        let rows: AggRow[];
        let b: Baseline | undefined;
        try {
          b = await baselineFor(w, oid);
          rows = await aggRows(oid, from, to);
        } catch (err) {
          log.warn(
            { code: 'HP_QUERY_FAILED', err: errorMessage(err), warning: w.id, outlet: oid },
            'verification deferred',
          );
          continue;
        }
        const hours = hoursOf(rows);
        for (let hs = from; hs < to; hs += HOUR_MS) {
          const level = levelAt(w, hs);
          if (!level) continue;
          const a = affected(w.region, level).find((x) => x.site.outlet.id === oid);
          const h = hours.get(hs);
          if (!a || !h) continue;
          const j = judgementOf(a, verifyHour(a.measure, h, b, verify), hs, b);
          if (j) engine.raise(j, a.site);
          n++;
        }
        verifiedUpTo.set(key, to - HOUR_MS);
      }
      // Warning over: open non-compliance episodes end with it (the measure no longer applies).
      if (w.end !== undefined && w.end <= now) {
        for (const oid of outlets.keys())
          for (const rule of HP_RULES) {
            const open = openAlarms(oid, rule);
            for (const al of open) engine.clear(al.id, 'system', `预警 ${w.id} 已解除 / warning lifted`);
          }
      }
    }
    return n + (await verifySpecialPeriods(now, lastClosed));
  }

  // -------------------------------------------------------------------------------------------
  // 特护期 special protection periods

  const localDay = (date: string) => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return wallTimeToUtc({ year: y, month: m, day: d, hour: 0, minute: 0, second: 0 }, zone);
  };

  /** The stricter of `capPercent` % of the outlet's limit and the period's absolute limit, per pollutant. */
  function specialCap(h: OutletHour, capPercent: number | undefined, limits: Record<string, number>) {
    const capped: OutletHour = { ...h, pollutants: new Map() };
    for (const [code, p] of h.pollutants) {
      const fromShare =
        capPercent !== undefined && p.limit !== undefined ? (capPercent / 100) * p.limit : undefined;
      const abs = limits[code];
      const allowed =
        fromShare !== undefined && abs !== undefined ? Math.min(fromShare, abs) : (fromShare ?? abs);
      const q = { ...p };
      if (allowed === undefined) delete q.limit;
      else q.limit = allowed;
      capped.pollutants.set(code, q);
    }
    return capped;
  }

  /**
   * Special periods: outlets of the region are verified every hour of the period against the measure of
   * the period's level and, with `capPercent`/`limits`, the stricter concentration cap (rule hp_cap),
   * through the same lifecycle; evidence and messages name the 特护期. Hours in a declared warning of the
   * region are left to the warning. Episodes still open when the period is over are cleared.
   */
  async function verifySpecialPeriods(now: number, lastClosed: number): Promise<number> {
    let n = 0;
    for (const [i, p] of config.specialPeriods.entries()) {
      const start = localDay(p.from);
      const end = dayEndOf(localDay(p.to), zone);
      const id = `special-${i}-${p.region}-${p.from}`;
      const label = p.name ?? `${p.from}至${p.to}`;
      const period = {
        zh: `特护期「${label}」（${p.from} 至 ${p.to}，${LEVEL_ZH[p.level]}措施${p.capPercent !== undefined ? `，浓度不超过限值的 ${p.capPercent}%` : ''}）`,
        en: `special protection period "${label}" (${p.from} to ${p.to}, ${p.level} measures${p.capPercent !== undefined ? `, cap ${p.capPercent} % of the limit` : ''})`,
        name: label,
      };
      const pseudo: Warning = {
        id,
        region: p.region,
        level: p.level,
        start,
        plannedEnd: end,
        end,
        authority: '',
        docNo: '',
        state: 'active',
        createdAt: start,
        history: [],
      };
      const hasCap = p.capPercent !== undefined || Object.keys(p.limits ?? {}).length > 0;
      const capMeasure: Measure = { type: 'cap', percent: 100 };
      const regionWarnings = [...(store?.warnings.values() ?? [])].filter((w) => w.region === p.region);
      for (const site of registry.entries()) {
        if (site.enterprise.region !== p.region) continue;
        const oid = site.outlet.id;
        const levelMeasure = affected(p.region, p.level).find((x) => x.site.outlet.id === oid);
        const key = `${id}|${oid}`;
        const from = Math.max(start, (verifiedUpTo.get(key) ?? start - HOUR_MS) + HOUR_MS);
        const to = Math.min(end, lastClosed + HOUR_MS);
        if (from < to && (hasCap || (levelMeasure && levelMeasure.measure.type !== 'self'))) {
          let rows: AggRow[];
          let b: Baseline | undefined;
          try {
            b = levelMeasure?.measure.type === 'limit' ? await baselineFor(pseudo, oid) : undefined;
            rows = await aggRows(oid, from, to);
          } catch (err) {
            log.warn(
              { code: 'HP_QUERY_FAILED', err: errorMessage(err), period: id, outlet: oid },
              'special-period verification deferred',
            );
            continue;
          }
          const hours = hoursOf(rows);
          for (let hs = from; hs < to; hs += HOUR_MS) {
            const h = hours.get(hs);
            if (!h || regionWarnings.some((w) => levelAt(w, hs) !== undefined)) continue;
            const measures: { a: AffectedOutlet; h: OutletHour }[] = [];
            if (levelMeasure && !(hasCap && levelMeasure.measure.type === 'cap'))
              measures.push({ a: levelMeasure, h });
            if (hasCap)
              measures.push({
                a: { enterprise: site.enterprise, site, measure: capMeasure },
                h: specialCap(h, p.capPercent, p.limits ?? {}),
              });
            for (const m of measures) {
              const j = judgementOf(m.a, verifyHour(m.a.measure, m.h, b, verify), hs, b, period);
              if (!j) continue;
              if (m.a.measure === capMeasure && j.evidence) {
                // the cap's own wording: the stricter of the share and the absolute limit
                j.evidence.textZh = j.evidence.textZh?.replace(
                  `措施：${measureTextZh(capMeasure)}`,
                  `措施：特护期浓度加严（${p.capPercent !== undefined ? `限值的 ${p.capPercent}%` : ''}${p.capPercent !== undefined && p.limits ? '，' : ''}${
                    p.limits
                      ? `绝对限值 ${Object.entries(p.limits)
                          .map(([c, v]) => `${c} ${v}`)
                          .join('、')}`
                      : ''
                  }，取严）`,
                );
              }
              engine.raise(j, site);
              n++;
            }
          }
          verifiedUpTo.set(key, to - HOUR_MS);
        }
        if (end <= now - lateMs) {
          for (const rule of HP_RULES) {
            const open = openAlarms(oid, rule);
            for (const al of open)
              if (
                al.firstWindowStart >= start &&
                al.firstWindowStart < end &&
                !inWarning(al.firstWindowStart)
              )
                engine.clear(al.id, 'system', `特护期「${label}」已结束 / special period over`);
          }
        }
      }
      function inWarning(t: number) {
        return regionWarnings.some((w) => levelAt(w, t) !== undefined);
      }
    }
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // report

  async function report(id: string): Promise<{ warning: Warning; outlets: OutletReport[] } | undefined> {
    const w = store?.warnings.get(id);
    if (!w) return undefined;
    const now = deps.now();
    const to = Math.min(w.end ?? Number.POSITIVE_INFINITY, hourStartOf(now, zone));
    const outlets: OutletReport[] = [];
    const seen = new Set<string>();
    for (const l of new Set(w.history.map((h) => h.level))) {
      for (const a of affected(w.region, l)) {
        if (seen.has(a.site.outlet.id)) continue;
        seen.add(a.site.outlet.id);
        const b = await baselineFor(w, a.site.outlet.id);
        const rows = to > w.start ? await aggRows(a.site.outlet.id, w.start, to) : [];
        const hours = hoursOf(rows);
        let evaluated = 0;
        let compliant = 0;
        let non = 0;
        let inWarning = 0;
        const measureNow =
          affected(w.region, w.level).find((x) => x.site.outlet.id === a.site.outlet.id)?.measure ??
          a.measure;
        for (let hs = w.start; hs < to; hs += HOUR_MS) {
          const level = levelAt(w, hs);
          if (!level) continue;
          inWarning++;
          const m = affected(w.region, level).find((x) => x.site.outlet.id === a.site.outlet.id)?.measure;
          const h = hours.get(hs);
          if (!m || !h) continue;
          const v = verifyHour(m, h, b, verify);
          if (v.status === 'compliant') {
            evaluated++;
            compliant++;
          } else if (v.status === 'noncompliant') {
            evaluated++;
            non++;
          }
        }
        const loads = new Map<string, number[]>();
        const flows: number[] = [];
        for (const r of rows) {
          if (!r.valid) continue;
          if (r.pollutant === FLOW && r.mean !== undefined) flows.push(r.mean);
          if (r.load_kg_h !== undefined)
            loads.set(r.pollutant, [...(loads.get(r.pollutant) ?? []), r.load_kg_h]);
        }
        // An alarm belongs to the warning whose hours it judged (it is opened after the hour closes).
        const alarms = HP_RULES.flatMap(
          (rule) => engine.listAlarms({ outlet: a.site.outlet.id, rule, limit: 500, offset: 0 }).items,
        ).filter(
          (x) => x.firstWindowStart >= w.start && x.firstWindowStart < (w.end ?? Number.POSITIVE_INFINITY),
        );
        outlets.push({
          enterprise: a.enterprise.id,
          enterpriseName: a.enterprise.name,
          grade: a.enterprise.grade ?? null,
          outlet: a.site.outlet.id,
          outletName: a.site.outlet.name,
          measure: { ...measureNow, textZh: measureTextZh(measureNow), textEn: measureTextEn(measureNow) },
          baseline: b
            ? { loadKgH: Object.fromEntries(b.loadKgH), flow: b.flow ?? null, hours: b.hours }
            : null,
          observed: {
            loadKgH: Object.fromEntries([...loads].map(([c, l]) => [c, meanOf(l) as number])),
            flow: meanOf(flows) ?? null,
          },
          hoursInWarning: inWarning,
          evaluatedHours: evaluated,
          compliantHours: compliant,
          compliantPercent: evaluated === 0 ? null : (100 * compliant) / evaluated,
          noncompliantHours: non,
          alarms: alarms.map((x) => ({
            id: x.id,
            rule: x.rule,
            state: x.state,
            openedAt: new Date(x.openedAt).toISOString(),
          })),
        });
      }
    }
    return { warning: w, outlets };
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  const Time = z.union([z.number().int(), z.string()]).transform((s, ctx) => {
    const ms = typeof s === 'number' ? s : Date.parse(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'ISO 8601 time or epoch ms' });
      return z.NEVER;
    }
    return ms;
  });
  const IssueBody = z
    .strictObject({
      region: z.string().min(1),
      level: z.enum(LEVELS),
      start: Time,
      plannedEnd: Time,
      authority: z.string().min(1).max(200),
      docNo: z.string().min(1).max(200),
    })
    .refine((b) => b.plannedEnd > b.start, {
      message: 'plannedEnd must be after start',
      path: ['plannedEnd'],
    });
  const PatchBody = z
    .strictObject({
      level: z.enum(LEVELS).optional(),
      plannedEnd: Time.optional(),
      /** Ends (lifts) the warning at this time. */
      end: Time.optional(),
      comment: z.string().max(2000).optional(),
    })
    .refine((b) => b.level !== undefined || b.plannedEnd !== undefined || b.end !== undefined, {
      message: 'one of level, plannedEnd, end',
    });
  const ListQuery = z.strictObject({
    region: z.string().optional(),
    state: z.enum(['active', 'lifted', 'all']).default('all'),
  });
  const ReportQuery = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
  const IdParams = z.strictObject({ id: z.string().min(1).max(100) });

  function view(w: Warning) {
    const t = (x: number | undefined) => (x === undefined ? null : new Date(x).toISOString());
    return {
      id: w.id,
      region: w.region,
      level: w.level,
      levelZh: LEVEL_ZH[w.level],
      state: w.state,
      start: t(w.start),
      plannedEnd: t(w.plannedEnd),
      end: t(w.end),
      authority: w.authority,
      docNo: w.docNo,
      history: w.history.map((h) => ({ ...h, at: t(h.at), plannedEnd: t(h.plannedEnd) })),
    };
  }

  function csvOf(r: { warning: Warning; outlets: OutletReport[] }): string {
    const esc = (v: unknown) => {
      const s = v === null || v === undefined ? '' : String(v);
      return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    const head = [
      '预警编号 warning_id',
      '企业 enterprise',
      '企业名称 enterprise_name',
      '绩效等级 grade',
      '排口 outlet',
      '排口名称 outlet_name',
      '措施 measure',
      '比例 percent',
      '基准负荷 baseline_load_kg_h',
      '实测负荷 observed_load_kg_h',
      '基准流量 baseline_flow',
      '实测流量 observed_flow',
      '预警小时 hours',
      '核查小时 evaluated_hours',
      '达标小时 compliant_hours',
      '达标率% compliant_percent',
      '未落实报警 noncompliance_alarms',
    ];
    const kv = (m: Record<string, number>) =>
      Object.entries(m)
        .map(([k, v]) => `${k}=${Number(v.toFixed(4))}`)
        .join(';');
    const lines = r.outlets.map((o) =>
      [
        r.warning.id,
        o.enterprise,
        o.enterpriseName,
        o.grade,
        o.outlet,
        o.outletName,
        o.measure.type,
        o.measure.percent ?? '',
        o.baseline ? kv(o.baseline.loadKgH) : '',
        kv(o.observed.loadKgH),
        o.baseline?.flow ?? '',
        o.observed.flow ?? '',
        o.hoursInWarning,
        o.evaluatedHours,
        o.compliantHours,
        o.compliantPercent === null ? '' : Number(o.compliantPercent.toFixed(2)),
        o.alarms.map((a) => a.id).join(' '),
      ]
        .map(esc)
        .join(','),
    );
    return `\uFEFF${[head.map(esc).join(','), ...lines].join('\r\n')}\r\n`;
  }

  const httpPlugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    app.setValidatorCompiler(() => (data) => ({ value: data }));
    const send = (reply: FastifyReply, status: number, code: ErrorCode, message: string, details?: unknown) =>
      reply.code(status).send({ code, message, ...(details === undefined ? {} : { details }) });
    const guard = (role: 'viewer' | 'officer') => async (req: FastifyRequest, reply: FastifyReply) => {
      const p = deps.auth.authenticate(req.headers.authorization);
      if (!p) {
        reply.header('www-authenticate', 'Bearer realm="alarms"');
        return send(reply, 401, 'ALR_UNAUTHORIZED', 'a valid bearer token is required');
      }
      if (!allows(p, role)) return send(reply, 403, 'ALR_FORBIDDEN', `role ${role} required`);
      req.principal = p;
    };
    function parse<T extends z.ZodType>(
      schema: T,
      data: unknown,
      reply: FastifyReply,
    ): z.infer<T> | undefined {
      const r = schema.safeParse(data ?? undefined);
      if (r.success) return r.data;
      void send(reply, 400, 'ALR_BAD_REQUEST', 'request failed validation', formatIssues(r.error));
      return undefined;
    }
    const tags = ['heavy-pollution'];
    app.post(
      '/api/v1/warnings',
      { onRequest: guard('officer'), schema: { summary: 'Declare a warning (officer)', tags } },
      async (req, reply) => {
        const b = parse(IssueBody, req.body, reply);
        if (!b) return reply;
        const w = issue({ ...b, actor: req.principal?.name ?? 'unknown' });
        return reply.code(201).send(view(w));
      },
    );
    app.patch(
      '/api/v1/warnings/:id',
      {
        onRequest: guard('officer'),
        schema: { summary: 'Change level, planned end, or end (lift) a warning', tags },
      },
      async (req, reply) => {
        const p = parse(IdParams, req.params, reply);
        if (!p) return reply;
        const b = parse(PatchBody, req.body, reply);
        if (!b) return reply;
        const patch: Parameters<typeof change>[1] = {};
        if (b.level) patch.level = b.level;
        if (b.plannedEnd !== undefined) patch.plannedEnd = b.plannedEnd;
        if (b.end !== undefined) patch.end = b.end;
        if (b.comment !== undefined) patch.comment = b.comment;
        const r = change(p.id, patch, req.principal?.name ?? 'unknown');
        if (!r.ok) return send(reply, r.status, r.code, r.message);
        return view(r.warning);
      },
    );
    app.get(
      '/api/v1/warnings',
      { onRequest: guard('viewer'), schema: { summary: 'Current and past warnings', tags } },
      async (req, reply) => {
        const q = parse(ListQuery, req.query, reply);
        if (!q) return reply;
        const items = [...(store?.warnings.values() ?? [])]
          .filter(
            (w) =>
              (q.region === undefined || w.region === q.region) && (q.state === 'all' || w.state === q.state),
          )
          .sort((a, b) => b.start - a.start);
        return { total: items.length, items: items.map(view) };
      },
    );
    app.get(
      '/api/v1/warnings/:id',
      { onRequest: guard('viewer'), schema: { summary: 'One warning', tags } },
      async (req, reply) => {
        const p = parse(IdParams, req.params, reply);
        if (!p) return reply;
        const w = store?.warnings.get(p.id);
        if (!w) return send(reply, 404, 'ALR_NOT_FOUND', `no warning ${p.id}`);
        return view(w);
      },
    );
    app.get(
      '/api/v1/warnings/:id/report',
      { onRequest: guard('viewer'), schema: { summary: 'Response report (JSON or CSV)', tags } },
      async (req, reply) => {
        const p = parse(IdParams, req.params, reply);
        if (!p) return reply;
        const q = parse(ReportQuery, req.query, reply);
        if (!q) return reply;
        let r: Awaited<ReturnType<typeof report>>;
        try {
          r = await report(p.id);
        } catch (err) {
          return send(reply, 503, 'HP_QUERY_FAILED', `InfluxDB query failed: ${errorMessage(err)}`);
        }
        if (!r) return send(reply, 404, 'ALR_NOT_FOUND', `no warning ${p.id}`);
        if (q.format === 'csv')
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="warning-${r.warning.id}.csv"`)
            .send(csvOf(r));
        return { warning: view(r.warning), outlets: r.outlets };
      },
    );
  };

  let stopped = false;
  return {
    httpPlugin,
    onReading(reading, site) {
      if (stopped) return;
      try {
        onReading(reading, site);
      } catch (err) {
        log.error({ err: errorMessage(err), mn: reading.mn }, 'heavy-pollution could not process a reading');
      }
    },
    start() {
      store ??= openWarningStore(deps.alerting.stateDir);
      const renotified = renotifyUnqueued(deps.now());
      log.info(
        { warnings: store.warnings.size, stations: stations.size, renotified },
        'heavy-pollution started',
      );
    },
    async tick(at) {
      const now = at ?? deps.now();
      const { n: hours, touched } = closeHours(now);
      const days = closeDays(now, touched);
      const verified = await verifyAll(now);
      return { hours, days, verified };
    },
    async flush() {
      await mirror.flush();
      await deps.outbox.idle();
      await deps.annotations?.idle();
    },
    async stop(deadlineMs = 10_000) {
      if (stopped) return;
      stopped = true;
      await mirror.stop(deadlineMs);
      store?.close();
    },
    warnings: () => [...(store?.warnings.values() ?? [])],
    report,
  };
}
