import { randomUUID } from 'node:crypto';
import type { Registry, SiteEntry } from '../config/registry.js';
import { createLogLimiter } from '../core/log-limiter.js';
import type { Logger } from '../core/logger.js';
import { toLineProtocol } from '../ingest/line-protocol.js';
import { isValidFlag } from '../ingest/points.js';
import type { Reading } from '../ingest/reading.js';
import {
  addLoads,
  addSample,
  chooseHour,
  computeDay,
  computeHour,
  type DayAggregate,
  type DeviceValue,
  deviceDay,
  deviceHour,
  type HourAggregate,
  type HourSpec,
  type HourWindow,
  type MinuteCell,
  newHourWindow,
  O2_CODE,
  WATER_TEMP_CODE,
  zheSuan,
} from './aggregate/aggregate.js';
import { dayEndOf, dayStartOf, HOUR_MS, hourStartOf, minuteIndex } from './aggregate/time.js';
import type { AlertingConfig, RuleId } from './config.js';
import {
  type Alarm,
  type AlarmBook,
  type AlarmEvent,
  type Change,
  createAlarmBook,
  MIRRORED,
} from './lifecycle/book.js';
import type { Delivery } from './notify/channels.js';
import type { TransitionAnnotations } from './notify/grafana.js';
import type { AttemptRecord, DeliveryJob, Outbox } from './notify/outbox.js';
import { type RenderedMessage, renderMessage } from './notify/render.js';
import { dueSteps, episodeChannels, reminderDue } from './notify/routing.js';
import {
  type Judgement,
  type JudgeSettings,
  judgeDay,
  judgeHour,
  judgeInstant,
  judgeOverRange,
} from './rules/judge.js';
import type { StandardsLibrary } from './standards/library.js';
import {
  effectiveMax,
  type OutletLimits,
  type ResolvedLimit,
  resolveOutletLimits,
} from './standards/resolve.js';
import type { Journal, JournalRecord, Replay } from './store/journal.js';
import type { Mirror } from './store/mirror.js';
import { aggDayPoint, aggHourPoint, alarmEventPoint, mismatchPoint } from './store/points.js';

/**
 * The alarm engine: per-outlet event-time windows, judging at window close (+ lateness), re-judging on
 * late data, the alarm book, journaling, mirroring and routing to the outbox.
 *
 * Serial per outlet (and globally): every entry point (onReading, tick, ack/comment/clear) runs to
 * completion synchronously — aggregation, judging, the lifecycle transition and the fsync'd journal
 * append happen without an await in between — so concurrent or duplicated input cannot interleave and
 * open a second alarm for the same (outlet, pollutant, rule). Only delivery and mirroring are async.
 */

export interface EngineDeps {
  config: AlertingConfig;
  registry: Registry;
  library: StandardsLibrary;
  log: Logger;
  now(): number;
  journal: Journal;
  outbox: Outbox;
  mirror?: Mirror;
  newId?: () => string;
  /** Grafana annotations of alarm transitions (GRAFANA_URL + GRAFANA_TOKEN); best effort, never awaited. */
  annotations?: Pick<TransitionAnnotations, 'alarm'>;
}

export interface EngineStats {
  readings: number;
  lateDropped: number;
  samples: number;
  hoursJudged: number;
  daysJudged: number;
  judgements: number;
  transitions: number;
  notificationsQueued: number;
  mismatches: number;
}

export interface AlarmFilter {
  state?: readonly string[];
  enterprise?: string;
  outlet?: string;
  pollutant?: string;
  severity?: readonly string[];
  rule?: string;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

export interface DeliveryView {
  id: string;
  channel: string;
  eventSeq: number;
  transition: string;
  queuedAt: number;
  attempts: AttemptRecord[];
  status: 'queued' | 'sent' | 'retry' | 'failed';
}

interface DayState {
  start: number;
  end: number;
  device: Map<string, DeviceValue>;
  judgedAt?: number;
  dirty: boolean;
}

interface OutletState {
  site: SiteEntry;
  limits: OutletLimits;
  spec: HourSpec;
  hours: Map<number, HourWindow>;
  hourResults: Map<number, Map<string, HourAggregate>>;
  days: Map<number, DayState>;
  /** Newest sample time evaluated by the per-sample rules (duplicates and late samples are skipped). */
  sampleLast: Map<string, number>;
}

const MAX_EVENTS_PER_ALARM = 1000;
/** Transitions posted as Grafana annotations (dashboards/annotations.ts). */
const ANNOTATED = new Set(['open', 'escalate', 'ack', 'clear', 'correct'] as const);
type Annotated = typeof ANNOTATED extends Set<infer T> ? T : never;
const MAX_ALARMS_IN_MEMORY = 50_000;

export type OpOutcome =
  | { ok: true; alarm: Alarm; event: AlarmEvent }
  | { ok: false; code: 'ALR_NOT_FOUND' | 'ALR_STATE_CONFLICT'; message: string };

export interface Engine {
  onReading(reading: Reading, site: SiteEntry): void;
  tick(now: number): { hoursJudged: number; daysJudged: number; transitions: number };
  ack(id: string, actor: string, comment?: string): OpOutcome;
  comment(id: string, actor: string, text: string): OpOutcome;
  clear(id: string, actor: string, comment?: string): OpOutcome;
  getAlarm(id: string): Alarm | undefined;
  events(id: string): readonly AlarmEvent[];
  deliveries(id: string): DeliveryView[];
  listAlarms(f: AlarmFilter): { total: number; items: Alarm[] };
  limitsOf(outletId: string): OutletLimits | undefined;
  /**
   * Applies a judgement made outside the engine (heavy-pollution compliance, observed-period proposals)
   * through the same lifecycle, journal, mirror and routing. `site` is a registry outlet or a synthetic
   * site (a region's proposal), registered on first use.
   */
  raise(j: Judgement, site: SiteEntry): void;
  readonly stats: EngineStats;
  /** Called by the outbox for every attempt (journal + API view). */
  recordAttempt(r: AttemptRecord): void;
  /**
   * Rebuilds the windows open at the last stop (hours not judged by `lastTickAt`, and the current day's
   * judged hours for the daily mean) within the re-open horizon from stored samples, before new
   * readings are folded in. `load(outletId, from, to)` returns the samples of one page (one hour).
   * Returns the hours rebuilt; on a failed load the outlet's unjudged windows are `restored: partial`
   * (not judged while `holdPartial` is true) and the error is rethrown after every outlet was tried.
   */
  rebuildWindows(
    load: (outletId: string, from: number, to: number) => Promise<StoredSample[]>,
    lastTickAt: number | undefined,
    now: number,
  ): Promise<{ hours: number; failed: number }>;
  /** While true, windows restored only partially are not judged (a background retry is pending). */
  holdPartial: boolean;
  /** Rebuilds alarms, events and pending deliveries from the journal (at start). */
  restore(replay: Replay): { alarms: number; resumedDeliveries: number };
  /**
   * Queues notices that are not alarms of the book (heavy-pollution warning transitions): journaled
   * (`q` with the notice snapshot, one fsync) before they are handed to the outbox, so a restart resends
   * the unconfirmed ones. Ids already queued are skipped (never notified twice).
   */
  enqueueNotices(jobs: readonly NoticeJob[]): number;
  /** Whether the notice (alarmId = warning id, eventSeq = its transition number) was ever queued. */
  noticeQueued(alarmId: string, eventSeq: number): boolean;
}

export interface StoredSample {
  t: number;
  code: string;
  value: number | undefined;
  flag: string | undefined;
}

export interface NoticeJob {
  id: string;
  channelId: string;
  eventSeq: number;
  delivery: Delivery;
}

export function limitSourceText(l: ResolvedLimit, language: 'zh' | 'en'): string {
  const s = l.source;
  if (s.override)
    return language === 'zh' ? `${s.standard}（许可/地方标准）` : `${s.standard} (permit / local standard)`;
  return `${language === 'zh' ? s.nameZh : s.nameEn} ${s.clause}${s.confidence === 'V' ? '' : ` [${s.confidence}]`}`;
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, log, journal, outbox, mirror } = deps;
  const zone = deps.registry.timeZone;
  const lateMs = config.latenessMinutes * 60_000;
  const reopenMs = config.reopenHours * HOUR_MS;
  const settings: JudgeSettings = { earlyWarning: config.earlyWarning, clearShare: config.clear.share };
  const lateLog = createLogLimiter(60_000, { now: deps.now });
  const stats: EngineStats = {
    readings: 0,
    lateDropped: 0,
    samples: 0,
    hoursJudged: 0,
    daysJudged: 0,
    judgements: 0,
    transitions: 0,
    notificationsQueued: 0,
    mismatches: 0,
  };

  const book: AlarmBook = createAlarmBook({
    newId: deps.newId ?? (() => randomUUID()),
    clearWindows: (rule: RuleId) => (rule === 'instant' ? config.instant.clearSamples : config.clear.windows),
  });
  const events = new Map<string, AlarmEvent[]>();
  const deliveries = new Map<string, Map<string, DeliveryView>>();
  const lastMirrorMs = new Map<string, number>();
  /** Notice keys (`alarmId|eventSeq`) and delivery ids of notices outside the book (warnings). */
  const noticeKeys = new Set<string>();
  const noticeIds = new Set<string>();
  const holdPartial = { on: false };

  async function rebuildWindows(
    load: (outletId: string, from: number, to: number) => Promise<StoredSample[]>,
    lastTickAt: number | undefined,
    now: number,
  ): Promise<{ hours: number; failed: number }> {
    // Hours closed by the last judging tick are judged; without one, only hours not yet due at `now`.
    const judgedBy = lastTickAt ?? now;
    const firstOpen = hourStartOf(judgedBy - HOUR_MS - lateMs, zone) + HOUR_MS;
    const from = Math.max(
      Math.min(firstOpen, dayStartOf(now, zone)),
      hourStartOf(now - reopenMs, zone) + HOUR_MS,
    );
    let hours = 0;
    let failed = 0;
    let firstError: unknown;
    for (const o of outlets.values()) {
      if (o.site.station) continue;
      for (let hs = from; hs <= now; hs += HOUR_MS) {
        const existing = o.hours.get(hs);
        if (existing && existing.restored !== 'partial') continue;
        const w = newHourWindow(hs);
        const judged = hs < firstOpen;
        try {
          // After one failure InfluxDB is taken as unreachable: the rest is marked, not queried.
          if (firstError !== undefined) throw firstError;
          for (const x of await load(o.site.outlet.id, hs, hs + HOUR_MS))
            addSample(w, x.code, minuteIndex(x.t, hs), x.value, x.flag);
        } catch (err) {
          failed++;
          firstError ??= err;
          if (!judged) {
            // Keep what arrives meanwhile; judged once the retry filled it (or gave up).
            const keep = existing ?? w;
            keep.restored = 'partial';
            o.hours.set(hs, keep);
          }
          continue;
        }
        // Samples folded in since start (partial windows on a retry) join the stored ones; a sample
        // present in both only repeats a value within its minute, which leaves the minute mean as is.
        if (existing) for (const [code, cells] of existing.cells) mergeCells(w, code, cells);
        w.restored = 'full';
        hours++;
        if (judged) {
          // Judged before the restart: only its result is needed (the day's mean); not judged again.
          const computed = computeHour(w, o.spec);
          addLoads(computed, o.spec.medium);
          o.hourResults.set(hs, computed);
          w.judgedAt = judgedBy;
          dayState(o, dayStartOf(hs, zone));
        }
        o.hours.set(hs, w);
      }
    }
    if (firstError !== undefined && failed > 0) throw firstError;
    return { hours, failed };
  }

  function mergeCells(w: HourWindow, code: string, cells: Map<number, MinuteCell>): void {
    let mine = w.cells.get(code);
    if (!mine) {
      mine = new Map();
      w.cells.set(code, mine);
    }
    for (const [minute, c] of cells) {
      const m = mine.get(minute);
      if (!m) {
        mine.set(minute, { ...c, invalidFlags: { ...c.invalidFlags } });
        continue;
      }
      m.samples += c.samples;
      m.validSamples += c.validSamples;
      m.validSum += c.validSum;
      m.validMin = Math.min(m.validMin, c.validMin);
      m.validMax = Math.max(m.validMax, c.validMax);
      m.overRange += c.overRange;
      for (const [f, n] of Object.entries(c.invalidFlags)) m.invalidFlags[f] = (m.invalidFlags[f] ?? 0) + n;
    }
  }

  const outlets = new Map<string, OutletState>();
  for (const site of deps.registry.entries()) {
    const limits = resolveOutletLimits(site, deps.library);
    for (const p of limits.problems) {
      log.warn(
        { code: 'ALR_LIMIT_UNRESOLVED', outlet: site.outlet.id, problem: p },
        'limit not usable for this outlet',
      );
    }
    const units = new Map(site.outlet.pollutants.map((p) => [p.code, p.unit]));
    const spec: HourSpec = {
      medium: site.outlet.medium,
      minValidMinutes: config.hourMinValidMinutes,
      minValidSamples: config.waterHourMinValidSamples,
      unitOf: (code) => units.get(code),
    };
    if (limits.referenceO2) spec.referenceO2 = limits.referenceO2.value;
    outlets.set(site.outlet.id, {
      site,
      limits,
      spec,
      hours: new Map(),
      hourResults: new Map(),
      days: new Map(),
      sampleLast: new Map(),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // journal, mirror, notifications

  function pushEvent(e: AlarmEvent): void {
    let list = events.get(e.alarmId);
    if (!list) {
      list = [];
      events.set(e.alarmId, list);
    }
    list.push(e);
    if (list.length > MAX_EVENTS_PER_ALARM) list.splice(0, list.length - MAX_EVENTS_PER_ALARM);
  }

  function render(o: OutletState, c: Change, language: 'zh' | 'en'): RenderedMessage {
    const limit = o.limits.limits.get(c.alarm.pollutant);
    const ctx: Parameters<typeof renderMessage>[0] = {
      alarm: c.alarm,
      transition: c.event.transition,
      enterpriseName: o.site.enterprise.name,
      outletName: o.site.outlet.name,
      timeZone: zone,
      actor: c.event.actor,
    };
    if (limit) ctx.limitSource = limitSourceText(limit, language);
    if (config.consoleUrl !== undefined) ctx.consoleUrl = config.consoleUrl;
    if (c.event.comment !== undefined) ctx.comment = c.event.comment;
    return renderMessage(ctx, language);
  }

  function mirrorTime(seriesKey: string, at: number): number {
    const last = lastMirrorMs.get(seriesKey);
    const t = last !== undefined && at <= last ? last + 1 : at;
    if (lastMirrorMs.size > 100_000) lastMirrorMs.clear();
    lastMirrorMs.set(seriesKey, t);
    return t;
  }

  /**
   * Journals the changes (one fsync), then mirrors and queues notifications. `channelsFor` overrides
   * the recipients (escalation steps).
   */
  function commit(o: OutletState, changes: readonly Change[], channelsFor?: (c: Change) => string[]): void {
    if (changes.length === 0) return;
    const records: JournalRecord[] = [];
    const jobs: DeliveryJob[] = [];
    const lines: string[] = [];
    for (const c of changes) {
      records.push({ k: 'a', e: c.event, s: c.alarm });
      if (!MIRRORED.has(c.event.transition) && !c.notify) continue;
      const msg = render(o, c, config.language);
      if (MIRRORED.has(c.event.transition) && mirror) {
        const series = `${c.alarm.outletId}|${c.alarm.pollutant}|${c.alarm.rule}|${c.event.severity}`;
        lines.push(
          toLineProtocol(
            alarmEventPoint(o.site, c.alarm, c.event, msg.textZh, msg.textEn, mirrorTime(series, c.event.at)),
          ),
        );
      }
      if (!c.notify) continue;
      const channels = channelsFor ? channelsFor(c) : episodeChannels(config.routes, c.alarm);
      const contactEmails = (o.site.enterprise.contacts ?? []).flatMap((p) => (p.email ? [p.email] : []));
      for (const channelId of channels) {
        const id = `${c.event.seq}-${channelId}`;
        records.push({
          k: 'q',
          id,
          alarmId: c.alarm.id,
          eventSeq: c.event.seq,
          channelId,
          transition: c.event.transition,
          message: msg,
          at: c.event.at,
        });
        const delivery: Delivery = {
          alarm: c.alarm,
          transition: c.event.transition,
          message: msg,
          contactEmails,
        };
        jobs.push({ id, channelId, eventSeq: c.event.seq, delivery, attempts: 0 });
      }
    }
    // Durable before anyone hears of it: a crash after this line resumes the queued deliveries.
    journal.append(records);
    for (const c of changes) pushEvent(c.event);
    if (deps.annotations) annotate(o, changes, deps.annotations);
    stats.transitions += changes.length;
    for (const job of jobs) {
      viewFor(job.delivery.alarm.id).set(job.id, {
        id: job.id,
        channel: job.channelId,
        eventSeq: job.eventSeq,
        transition: job.delivery.transition,
        queuedAt: deps.now(),
        attempts: [],
        status: 'queued',
      });
      outbox.enqueue(job);
    }
    stats.notificationsQueued += jobs.length;
    if (lines.length > 0) mirror?.push(lines);
  }

  function annotate(
    o: OutletState,
    changes: readonly Change[],
    annotations: NonNullable<EngineDeps['annotations']>,
  ): void {
    for (const c of changes) {
      const transition = c.event.transition as Annotated;
      if (!ANNOTATED.has(transition)) continue;
      const lines = render(o, c, 'zh').textZh.split('\n');
      const keep = lines.filter((l) => /^(数值|限值|依据|时段|备注)：/.test(l));
      const t: Parameters<typeof annotations.alarm>[0] = {
        alarmId: c.alarm.id,
        transition,
        timeMs: c.event.at,
        enterpriseName: o.site.enterprise.name,
        outletName: o.site.outlet.name,
        pollutant: c.alarm.pollutant,
        rule: c.alarm.rule,
        severity: c.event.severity,
        textZh: [lines[0] ?? '', ...keep].join('；'),
      };
      if (c.event.actor !== 'system') t.actor = c.event.actor;
      try {
        annotations.alarm(t);
      } catch (err) {
        log.warn({ err: String(err), alarm: c.alarm.id }, 'Grafana annotation not queued');
      }
    }
  }

  function viewFor(alarmId: string): Map<string, DeliveryView> {
    let m = deliveries.get(alarmId);
    if (!m) {
      m = new Map();
      deliveries.set(alarmId, m);
    }
    return m;
  }

  function apply(o: OutletState, j: Judgement | undefined, now: number): void {
    if (!j) return;
    stats.judgements++;
    const site = {
      enterpriseId: o.site.enterprise.id,
      region: o.site.enterprise.region,
      mn: o.site.gateway.mn,
    };
    commit(o, book.apply(j, site, now));
  }

  // ---------------------------------------------------------------------------------------------
  // readings

  function waterTempOf(values: Reading['values']): number | undefined {
    const t = values.find((v) => v.code === WATER_TEMP_CODE);
    const x = t?.rtd ?? t?.avg;
    return t && isValidFlag(t.flag) && x !== undefined ? x : undefined;
  }

  function sampleRules(o: OutletState, reading: Reading, t: number, now: number): void {
    const hs = hourStartOf(t, zone);
    const o2 = reading.values.find((v) => v.code === O2_CODE);
    const o2Value = o2 && isValidFlag(o2.flag) ? (o2.rtd ?? o2.avg) : undefined;
    const temp = waterTempOf(reading.values);
    for (const v of reading.values) {
      const last = o.sampleLast.get(v.code);
      if (last !== undefined && t <= last) continue; // duplicate or late sample: already evaluated
      o.sampleLast.set(v.code, t);
      if (v.flag === 'T') {
        const value = reading.kind === 'rtd' ? v.rtd : v.avg;
        apply(o, judgeOverRange(o.site.outlet.id, v.code, hs, hs + HOUR_MS, true, false, value), now);
      }
      if (!config.instant.enabled) continue;
      const limit = o.limits.limits.get(v.code);
      if (!limit) continue;
      const raw = reading.kind === 'rtd' ? v.rtd : v.avg;
      const valid = isValidFlag(v.flag) && raw !== undefined;
      const ref = o.limits.referenceO2?.value;
      let value = raw;
      let basis: 'zs' | 'measured' = 'measured';
      let ok = valid;
      if (o.site.outlet.medium === 'gas' && ref !== undefined) {
        basis = 'zs';
        value = raw !== undefined && o2Value !== undefined ? zheSuan(raw, o2Value, ref) : undefined;
        ok = valid && value !== undefined;
      }
      apply(o, judgeInstant(o.site.outlet.id, v.code, t, value, ok, basis, limit, temp, settings), now);
    }
  }

  function onReading(reading: Reading, site: SiteEntry): void {
    const o = outlets.get(site.outlet.id);
    if (!o) return;
    stats.readings++;
    const now = deps.now();
    const t = reading.dataTime.getTime();
    if (t < now - reopenMs || t > now + HOUR_MS) {
      stats.lateDropped++;
      const suppressed = lateLog.admit(site.outlet.id);
      if (suppressed !== undefined) {
        log.warn(
          {
            code: 'ALR_LATE_DATA',
            outlet: site.outlet.id,
            dataTime: reading.dataTime.toISOString(),
            suppressed,
          },
          'reading outside the re-open horizon (or in the future): not aggregated',
        );
      }
      return;
    }
    switch (reading.kind) {
      case 'rtd':
      case 'minute': {
        const hs = hourStartOf(t, zone);
        let w = o.hours.get(hs);
        if (!w) {
          w = newHourWindow(hs);
          o.hours.set(hs, w);
        }
        const minute = minuteIndex(t, hs);
        for (const v of reading.values) {
          addSample(w, v.code, minute, reading.kind === 'rtd' ? v.rtd : v.avg, v.flag);
          stats.samples++;
        }
        if (w.judgedAt !== undefined) w.dirty = true;
        sampleRules(o, reading, t, now);
        break;
      }
      case 'hour': {
        const hs = hourStartOf(t, zone);
        let w = o.hours.get(hs);
        if (!w) {
          w = newHourWindow(hs);
          o.hours.set(hs, w);
        }
        for (const v of reading.values) w.device.set(v.code, deviceValue(v));
        if (w.judgedAt !== undefined) w.dirty = true;
        break;
      }
      case 'day': {
        const d = dayState(o, dayStartOf(t, zone));
        for (const v of reading.values) d.device.set(v.code, deviceValue(v));
        if (d.judgedAt !== undefined) d.dirty = true;
        break;
      }
      default:
        break;
    }
  }

  function deviceValue(v: Reading['values'][number]): DeviceValue {
    const d: DeviceValue = {};
    if (v.avg !== undefined) d.avg = v.avg;
    else if (v.rtd !== undefined) d.avg = v.rtd;
    if (v.zsAvg !== undefined) d.zsAvg = v.zsAvg;
    if (v.min !== undefined) d.min = v.min;
    if (v.max !== undefined) d.max = v.max;
    if (v.flag !== undefined) d.flag = v.flag;
    return d;
  }

  function dayState(o: OutletState, ds: number): DayState {
    let d = o.days.get(ds);
    if (!d) {
      d = { start: ds, end: dayEndOf(ds, zone), device: new Map(), dirty: false };
      o.days.set(ds, d);
    }
    return d;
  }

  // ---------------------------------------------------------------------------------------------
  // judging

  function limitValue(limit: ResolvedLimit | undefined, temp: number | undefined): number | undefined {
    return limit ? effectiveMax(limit, temp).max : undefined;
  }

  function judgeHourWindow(o: OutletState, w: HourWindow, now: number): void {
    const computed = computeHour(w, o.spec);
    const device = deviceHour(w, o.spec);
    addLoads(computed, o.spec.medium);
    addLoads(device, o.spec.medium);
    const { chosen, mismatches } = chooseHour(computed, device, config.deviceMismatchTolerance);
    const tempAgg = chosen.get(WATER_TEMP_CODE);
    const temp = tempAgg?.valid ? tempAgg.mean : undefined;
    const lines: string[] = [];
    for (const agg of [...computed.values(), ...device.values()]) {
      lines.push(toLineProtocol(aggHourPoint(o.site, agg, limitValue(o.limits.limits.get(agg.code), temp))));
    }
    for (const m of mismatches) {
      stats.mismatches++;
      lines.push(toLineProtocol(mismatchPoint(o.site, m, w.start)));
      log.warn(
        {
          code: 'ALR_AGGREGATE_MISMATCH',
          outlet: o.site.outlet.id,
          pollutant: m.code,
          kind: m.kind,
          computed: m.computed,
          device: m.device,
        },
        'device hourly value differs from the centre aggregate',
      );
    }
    mirror?.push(lines);
    o.hourResults.set(w.start, chosen);
    for (const [code, limit] of o.limits.limits) {
      const agg = chosen.get(code);
      if (!agg) continue; // no data at all: not judged
      apply(
        o,
        judgeHour(o.site.outlet.id, o.spec.medium, agg, limit, o.spec.referenceO2, temp, settings),
        now,
      );
    }
    for (const agg of chosen.values()) {
      const hadValid = agg.valid;
      if (!agg.overRange && !book.openFor(`${o.site.outlet.id}|${agg.code}|over_range`)) continue;
      apply(
        o,
        judgeOverRange(o.site.outlet.id, agg.code, agg.start, agg.end, agg.overRange, hadValid, agg.max),
        now,
      );
    }
    w.judgedAt = now;
    w.dirty = false;
    stats.hoursJudged++;
    const d = dayState(o, dayStartOf(w.start, zone));
    if (d.judgedAt !== undefined) d.dirty = true;
  }

  function judgeDayWindow(o: OutletState, d: DayState, now: number): void {
    const hours: Map<string, HourAggregate>[] = [];
    for (const [hs, result] of o.hourResults) if (hs >= d.start && hs < d.end) hours.push(result);
    const codes = new Set<string>([...d.device.keys()]);
    for (const h of hours) for (const c of h.keys()) codes.add(c);
    const minHours = o.spec.medium === 'gas' ? config.dayMinValidHours : config.waterDayMinValidHours;
    const chosen = new Map<string, DayAggregate>();
    const lines: string[] = [];
    for (const code of codes) {
      const hourAggs = hours.flatMap((h) => {
        const a = h.get(code);
        return a ? [a] : [];
      });
      const computed = computeDay(code, d.start, d.end, hourAggs, minHours);
      chosen.set(code, computed);
      const dev = d.device.get(code);
      if (dev) {
        const devAgg = deviceDay(code, d.start, d.end, dev, o.spec.unitOf(code));
        chosen.set(code, devAgg);
        lines.push(toLineProtocol(aggDayPoint(o.site, devAgg, undefined)));
      }
    }
    const tempAgg = chosen.get(WATER_TEMP_CODE);
    const temp = tempAgg?.valid ? tempAgg.mean : undefined;
    for (const [code, day] of chosen) {
      if (day.origin === 'computed')
        lines.push(toLineProtocol(aggDayPoint(o.site, day, limitValue(o.limits.limits.get(code), temp))));
    }
    mirror?.push(lines);
    for (const [code, limit] of o.limits.limits) {
      const day = chosen.get(code);
      if (!day) continue;
      apply(
        o,
        judgeDay(
          o.site.outlet.id,
          day,
          limit,
          o.spec.medium === 'gas' ? o.spec.referenceO2 : undefined,
          temp,
          settings,
        ),
        now,
      );
    }
    d.judgedAt = now;
    d.dirty = false;
    stats.daysJudged++;
  }

  function tick(now: number): { hoursJudged: number; daysJudged: number; transitions: number } {
    const before = { h: stats.hoursJudged, d: stats.daysJudged, t: stats.transitions };
    for (const o of outlets.values()) {
      const starts = [...o.hours.keys()].sort((a, b) => a - b);
      for (const hs of starts) {
        const w = o.hours.get(hs) as HourWindow;
        if (hs + HOUR_MS + lateMs > now) break;
        if (w.restored === 'partial' && holdPartial.on) continue;
        if (w.judgedAt === undefined || w.dirty) judgeHourWindow(o, w, now);
      }
      const days = [...o.days.values()].sort((a, b) => a.start - b.start);
      for (const d of days) {
        if (d.end + lateMs > now) break;
        if (d.judgedAt === undefined || d.dirty) judgeDayWindow(o, d, now);
      }
      // Bounded memory: windows whose data can no longer arrive (older than the re-open horizon).
      for (const [hs, w] of o.hours)
        if (hs + HOUR_MS < now - reopenMs && w.judgedAt !== undefined) o.hours.delete(hs);
      for (const [ds, d] of o.days) {
        if (d.end < now - reopenMs && d.judgedAt !== undefined) {
          o.days.delete(ds);
          for (const hs of o.hourResults.keys()) if (hs >= d.start && hs < d.end) o.hourResults.delete(hs);
        }
      }
    }
    if (stats.hoursJudged > before.h || stats.daysJudged > before.d) journal.append([{ k: 't', at: now }]); // watermark: windows closed by `now` are judged
    escalations(now);
    for (const id of book.prune(MAX_ALARMS_IN_MEMORY)) {
      events.delete(id);
      deliveries.delete(id);
    }
    return {
      hoursJudged: stats.hoursJudged - before.h,
      daysJudged: stats.daysJudged - before.d,
      transitions: stats.transitions - before.t,
    };
  }

  /** Escalation tiers and reminders for active, unacknowledged alarms. */
  function escalations(now: number): void {
    for (const a of book.alarms.values()) {
      if (a.state !== 'active') continue;
      const o = outlets.get(a.outletId);
      if (!o) continue;
      for (const step of dueSteps(config.routes, a, now)) {
        const c = book.markNotified(a.id, 'tier', now, step.key);
        if (c) commit(o, [c], () => step.channels);
      }
      const fresh = book.alarms.get(a.id);
      if (fresh && reminderDue(fresh, config.reminderMinutes, now)) {
        const c = book.markNotified(a.id, 'remind', now);
        if (c) commit(o, [c]);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // operations

  function op(result: ReturnType<AlarmBook['ack']>): OpOutcome {
    if (!result.ok) return result;
    const o = outlets.get(result.change.alarm.outletId);
    if (o) commit(o, [result.change]);
    else {
      journal.append([{ k: 'a', e: result.change.event, s: result.change.alarm }]);
      pushEvent(result.change.event);
    }
    return { ok: true, alarm: result.change.alarm, event: result.change.event };
  }

  return {
    onReading,
    tick,
    ack: (id, actor, comment) => op(book.ack(id, actor, deps.now(), comment)),
    comment: (id, actor, text) => op(book.comment(id, actor, text, deps.now())),
    clear: (id, actor, comment) => op(book.clear(id, actor, deps.now(), comment)),
    getAlarm: (id) => book.alarms.get(id),
    events: (id) => events.get(id) ?? [],
    deliveries: (id) => [...(deliveries.get(id)?.values() ?? [])],
    listAlarms(f) {
      const sevs = f.severity && f.severity.length > 0 ? new Set(f.severity) : undefined;
      const states = f.state && f.state.length > 0 ? new Set(f.state) : undefined;
      const items = [...book.alarms.values()].filter(
        (a) =>
          (!states || states.has(a.state)) &&
          (!sevs || sevs.has(a.severity)) &&
          (f.enterprise === undefined || a.enterpriseId === f.enterprise) &&
          (f.outlet === undefined || a.outletId === f.outlet) &&
          (f.pollutant === undefined || a.pollutant === f.pollutant) &&
          (f.rule === undefined || a.rule === f.rule) &&
          // time range: the alarm's life [openedAt, clearedAt] overlaps [from, to]
          (f.to === undefined || a.openedAt <= f.to) &&
          (f.from === undefined || (a.clearedAt ?? Number.POSITIVE_INFINITY) >= f.from),
      );
      items.sort((x, y) => y.openedAt - x.openedAt || (x.id < y.id ? -1 : 1));
      return { total: items.length, items: items.slice(f.offset, f.offset + f.limit) };
    },
    limitsOf: (outletId) => outlets.get(outletId)?.limits,
    raise(j, site) {
      let o = outlets.get(site.outlet.id);
      if (!o) {
        // Synthetic site: no limits and no windows, so tick() has nothing to judge for it.
        o = {
          site,
          limits: { outletId: site.outlet.id, medium: 'gas', limits: new Map(), problems: [] },
          spec: { medium: 'gas', minValidMinutes: 1, minValidSamples: 1, unitOf: () => undefined },
          hours: new Map(),
          hourResults: new Map(),
          days: new Map(),
          sampleLast: new Map(),
        };
        outlets.set(site.outlet.id, o);
      }
      apply(o, j, deps.now());
    },
    stats,
    rebuildWindows,
    get holdPartial() {
      return holdPartial.on;
    },
    set holdPartial(v: boolean) {
      holdPartial.on = v;
    },
    enqueueNotices(list) {
      const fresh = list.filter((j) => !noticeIds.has(j.id));
      if (fresh.length === 0) return 0;
      const at = deps.now();
      journal.append(
        fresh.map((j) => ({
          k: 'q' as const,
          id: j.id,
          alarmId: j.delivery.alarm.id,
          eventSeq: j.eventSeq,
          channelId: j.channelId,
          transition: j.delivery.transition,
          message: j.delivery.message,
          at,
          notice: { alarm: j.delivery.alarm, contactEmails: [...j.delivery.contactEmails] },
        })),
      );
      for (const j of fresh) {
        noticeIds.add(j.id);
        noticeKeys.add(`${j.delivery.alarm.id}|${j.eventSeq}`);
        outbox.enqueue({ ...j, attempts: 0 });
      }
      stats.notificationsQueued += fresh.length;
      return fresh.length;
    },
    noticeQueued: (alarmId, eventSeq) => noticeKeys.has(`${alarmId}|${eventSeq}`),
    restore(replay) {
      for (const k of replay.notices) noticeKeys.add(k);
      for (const [id, alarm] of replay.alarms) {
        book.restore(alarm, replay.maxSeq);
        events.set(id, [...(replay.events.get(id) ?? [])]);
      }
      let resumed = 0;
      for (const d of replay.deliveries.values()) {
        const q = d.queued;
        const last = d.attempts.at(-1);
        if (q.notice) {
          // A warning notice: not in the book, resent from its journaled snapshot.
          noticeIds.add(q.id);
          if (last?.status === 'sent' || last?.status === 'failed') continue;
          outbox.enqueue({
            id: q.id,
            channelId: q.channelId,
            eventSeq: q.eventSeq,
            delivery: {
              alarm: q.notice.alarm,
              transition: q.transition,
              message: q.message,
              contactEmails: q.notice.contactEmails,
            },
            attempts: d.attempts.length,
          });
          resumed++;
          continue;
        }
        const view: DeliveryView = {
          id: q.id,
          channel: q.channelId,
          eventSeq: q.eventSeq,
          transition: q.transition,
          queuedAt: q.at,
          attempts: [...d.attempts],
          status: last?.status ?? 'queued',
        };
        viewFor(q.alarmId).set(q.id, view);
        if (last?.status === 'sent' || last?.status === 'failed') continue;
        const alarm = book.alarms.get(q.alarmId);
        if (!alarm) continue;
        const o = outlets.get(alarm.outletId);
        const contactEmails = (o?.site.enterprise.contacts ?? []).flatMap((p) => (p.email ? [p.email] : []));
        // Queued before the crash and not confirmed: deliver now (at-least-once for unconfirmed ones;
        // confirmed deliveries are never repeated).
        outbox.enqueue({
          id: q.id,
          channelId: q.channelId,
          eventSeq: q.eventSeq,
          delivery: { alarm, transition: q.transition, message: q.message, contactEmails },
          attempts: d.attempts.length,
        });
        resumed++;
      }
      return { alarms: replay.alarms.size, resumedDeliveries: resumed };
    },
    recordAttempt(r) {
      journal.append([{ k: 'd', ...r }]);
      const v = deliveries.get(r.alarmId)?.get(r.id);
      if (v) {
        v.attempts.push(r);
        v.status = r.status;
      }
    },
  };
}
