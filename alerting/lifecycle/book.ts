import type { RuleId, Severity } from '../config.js';
import { type AlarmEvidence, type Judgement, keyString } from '../rules/judge.js';

/**
 * The alarm lifecycle as a state machine over plain data (no I/O, no clock: `now` is passed in).
 *
 * Identity: one episode per (outlet, pollutant, rule). States: active → acknowledged → cleared, or
 * active → cleared. Severity may rise within an episode (early_warning → exceedance), never falls.
 * Clearing needs `clearWindows` consecutive valid judged windows below the hysteresis threshold; invalid
 * windows neither count nor reset. A clear followed by a new exceedance opens a new episode (new id).
 * Late data that re-judges a window of the episode corrects it (`correct`); if no exceeding window is
 * left, the alarm is withdrawn (cleared with reason `corrected`).
 *
 * Every state change yields an event; the engine journals it (fsync) before anything is notified.
 */

export type AlarmState = 'active' | 'acknowledged' | 'cleared';
export type Transition =
  | 'open'
  | 'escalate'
  | 'update'
  | 'ack'
  | 'comment'
  | 'clear'
  | 'correct'
  | 'tier'
  | 'remind';

/** Transitions mirrored to InfluxDB `alarm_event` (docs/data-model.md); `update` is journal-only. */
export const MIRRORED: ReadonlySet<Transition> = new Set([
  'open',
  'escalate',
  'ack',
  'comment',
  'clear',
  'correct',
  'tier',
  'remind',
]);

const SEVERITY_RANK: Record<Severity, number> = {
  notice: 0,
  quality: 1,
  early_warning: 2,
  warning: 3,
  exceedance: 4,
};

/** Bound of the exceeding-window list kept per episode (a month of hours). */
const MAX_WINDOWS = 744;

export interface AlarmSite {
  enterpriseId: string;
  region: string;
  mn: string;
}

export interface Alarm extends AlarmSite {
  id: string;
  key: string;
  outletId: string;
  pollutant: string;
  rule: RuleId;
  severity: Severity;
  state: AlarmState;
  openedAt: number;
  updatedAt: number;
  firstWindowStart: number;
  lastWindowStart: number;
  lastWindowEnd: number;
  /** Latest exceeding value and the peak of the episode. */
  value?: number;
  peakValue?: number;
  limit?: number;
  limitMin?: number;
  unit?: string;
  basis: 'zs' | 'measured';
  limitCondition?: string;
  /** Start times of the windows that exceeded in this episode (bounded). */
  windows: number[];
  /** Newest window judged for this episode (hysteresis only counts newer windows). */
  lastJudgedWindow: number;
  belowCount: number;
  ackedAt?: number;
  ackedBy?: string;
  clearedAt?: number;
  clearedBy?: string;
  clearReason?: 'recovered' | 'manual' | 'corrected';
  /** Escalation steps done ("route:step") and the last notification time (reminders count from it). */
  tiersDone: string[];
  lastNotifiedAt?: number;
  /** Latest evidence of rules that carry more than value/limit (heavy-pollution compliance). */
  evidence?: AlarmEvidence;
}

export interface AlarmEvent {
  seq: number;
  alarmId: string;
  at: number;
  transition: Transition;
  actor: string;
  state: AlarmState;
  severity: Severity;
  value?: number;
  limit?: number;
  windowStart?: number;
  windowEnd?: number;
  comment?: string;
}

export interface Change {
  alarm: Alarm;
  event: AlarmEvent;
  /** Transitions duty officers are told about: open, escalate, clear (incl. withdrawal), tier, remind. */
  notify: boolean;
}

export interface BookOptions {
  newId(): string;
  /** Consecutive clearing windows needed, per rule. */
  clearWindows(rule: RuleId): number;
}

export type OpResult =
  | { ok: true; change: Change }
  | { ok: false; code: 'ALR_NOT_FOUND' | 'ALR_STATE_CONFLICT'; message: string };

export interface AlarmBook {
  readonly alarms: ReadonlyMap<string, Alarm>;
  openFor(key: string): Alarm | undefined;
  apply(j: Judgement, site: AlarmSite, now: number): Change[];
  ack(id: string, actor: string, now: number, comment?: string): OpResult;
  comment(id: string, actor: string, text: string, now: number): OpResult;
  clear(id: string, actor: string, now: number, comment?: string): OpResult;
  /** Records an escalation step or reminder sent by the notifier (tick). */
  markNotified(id: string, transition: 'tier' | 'remind', now: number, tierKey?: string): Change | undefined;
  /** Rebuild: the last snapshot of each alarm and the highest event seq seen. */
  restore(alarm: Alarm, seq: number): void;
  readonly seq: number;
  /** Drops cleared alarms beyond `max` (oldest first); returns the ids dropped. */
  prune(max: number): string[];
}

export function createAlarmBook(opts: BookOptions): AlarmBook {
  const alarms = new Map<string, Alarm>();
  const openByKey = new Map<string, string>();
  let seq = 0;

  function event(a: Alarm, transition: Transition, now: number, actor: string, comment?: string): AlarmEvent {
    const e: AlarmEvent = {
      seq: ++seq,
      alarmId: a.id,
      at: now,
      transition,
      actor,
      state: a.state,
      severity: a.severity,
      windowStart: a.lastWindowStart,
      windowEnd: a.lastWindowEnd,
    };
    if (a.value !== undefined) e.value = a.value;
    if (a.limit !== undefined) e.limit = a.limit;
    if (comment !== undefined) e.comment = comment;
    a.updatedAt = now;
    return e;
  }

  function change(
    a: Alarm,
    transition: Transition,
    now: number,
    actor: string,
    notify: boolean,
    comment?: string,
  ): Change {
    // Snapshots are copied so later mutation cannot alter what was journalled.
    if (notify) a.lastNotifiedAt = now;
    const e = event(a, transition, now, actor, comment);
    return { alarm: structuredClone(a), event: e, notify };
  }

  function copyMeasure(a: Alarm, j: Judgement): void {
    if (j.value !== undefined) a.value = j.value;
    if (j.limit !== undefined) a.limit = j.limit;
    else delete a.limit;
    if (j.limitMin !== undefined) a.limitMin = j.limitMin;
    if (j.unit !== undefined) a.unit = j.unit;
    if (j.limitCondition !== undefined) a.limitCondition = j.limitCondition;
    a.basis = j.basis;
    if (j.evidence !== undefined) a.evidence = j.evidence;
    if (j.value !== undefined && (a.peakValue === undefined || j.value > a.peakValue)) a.peakValue = j.value;
  }

  function closeEpisode(a: Alarm, now: number, actor: string, reason: Alarm['clearReason']): void {
    a.state = 'cleared';
    a.clearedAt = now;
    a.clearedBy = actor;
    a.clearReason = reason;
    openByKey.delete(a.key);
  }

  function apply(j: Judgement, site: AlarmSite, now: number): Change[] {
    const key = keyString(j.key);
    const id = openByKey.get(key);
    const a = id === undefined ? undefined : alarms.get(id);
    if (j.kind === 'invalid') return [];
    if (j.kind === 'exceeded') {
      const level = j.level ?? 'exceedance';
      if (!a) {
        const created: Alarm = {
          id: opts.newId(),
          key,
          outletId: j.key.outletId,
          pollutant: j.key.pollutant,
          rule: j.key.rule,
          ...site,
          severity: level,
          state: 'active',
          openedAt: now,
          updatedAt: now,
          firstWindowStart: j.windowStart,
          lastWindowStart: j.windowStart,
          lastWindowEnd: j.windowEnd,
          basis: j.basis,
          windows: [j.windowStart],
          lastJudgedWindow: j.windowStart,
          belowCount: 0,
          tiersDone: [],
        };
        copyMeasure(created, j);
        alarms.set(created.id, created);
        openByKey.set(key, created.id);
        return [change(created, 'open', now, 'system', true)];
      }
      const known = a.windows.includes(j.windowStart);
      const changes: Change[] = [];
      const before = a.value;
      copyMeasure(a, j);
      if (!known) {
        a.windows.push(j.windowStart);
        if (a.windows.length > MAX_WINDOWS) a.windows.splice(0, a.windows.length - MAX_WINDOWS);
      }
      if (j.windowStart >= a.lastWindowStart) {
        a.lastWindowStart = j.windowStart;
        a.lastWindowEnd = j.windowEnd;
      }
      if (j.windowStart >= a.lastJudgedWindow) {
        a.lastJudgedWindow = j.windowStart;
        a.belowCount = 0;
      }
      if (SEVERITY_RANK[level] > SEVERITY_RANK[a.severity]) {
        a.severity = level;
        changes.push(change(a, 'escalate', now, 'system', true));
      } else if (known) {
        // The same window judged again (late data or a duplicate): a different value is a correction.
        if (j.value !== undefined && before !== j.value)
          changes.push(change(a, 'correct', now, 'system', false));
      } else {
        changes.push(change(a, 'update', now, 'system', false));
      }
      return changes;
    }
    // below: a valid window that does not exceed any level
    if (!a) return [];
    const idx = a.windows.indexOf(j.windowStart);
    if (idx >= 0) {
      a.windows.splice(idx, 1);
      if (a.windows.length === 0) {
        // Every window that made this alarm has been re-judged below the limit: withdraw it.
        closeEpisode(a, now, 'system', 'corrected');
        return [change(a, 'correct', now, 'system', true, 're-judged window no longer exceeds the limit')];
      }
      return [change(a, 'correct', now, 'system', false, 're-judged window no longer exceeds the limit')];
    }
    if (j.windowStart <= a.lastJudgedWindow) return [];
    a.lastJudgedWindow = j.windowStart;
    if (j.clearFor[a.severity]) a.belowCount++;
    else a.belowCount = 0;
    if (a.belowCount >= opts.clearWindows(a.rule)) {
      closeEpisode(a, now, 'system', 'recovered');
      return [change(a, 'clear', now, 'system', true)];
    }
    return [change(a, 'update', now, 'system', false)];
  }

  function find(id: string): Alarm | undefined {
    return alarms.get(id);
  }

  return {
    alarms,
    get seq() {
      return seq;
    },
    openFor(key) {
      const id = openByKey.get(key);
      return id === undefined ? undefined : alarms.get(id);
    },
    apply,
    ack(id, actor, now, comment) {
      const a = find(id);
      if (!a) return { ok: false, code: 'ALR_NOT_FOUND', message: `no alarm ${id}` };
      if (a.state !== 'active')
        return { ok: false, code: 'ALR_STATE_CONFLICT', message: `alarm ${id} is ${a.state}` };
      a.state = 'acknowledged';
      a.ackedAt = now;
      a.ackedBy = actor;
      return { ok: true, change: change(a, 'ack', now, actor, false, comment) };
    },
    comment(id, actor, text, now) {
      const a = find(id);
      if (!a) return { ok: false, code: 'ALR_NOT_FOUND', message: `no alarm ${id}` };
      return { ok: true, change: change(a, 'comment', now, actor, false, text) };
    },
    clear(id, actor, now, comment) {
      const a = find(id);
      if (!a) return { ok: false, code: 'ALR_NOT_FOUND', message: `no alarm ${id}` };
      if (a.state === 'cleared')
        return { ok: false, code: 'ALR_STATE_CONFLICT', message: `alarm ${id} is already cleared` };
      closeEpisode(a, now, actor, 'manual');
      return { ok: true, change: change(a, 'clear', now, actor, true, comment) };
    },
    markNotified(id, transition, now, tierKey) {
      const a = find(id);
      if (a?.state !== 'active') return undefined;
      if (tierKey !== undefined) a.tiersDone.push(tierKey);
      return change(a, transition, now, 'system', true);
    },
    restore(alarm, s) {
      alarms.set(alarm.id, alarm);
      if (alarm.state === 'cleared') {
        if (openByKey.get(alarm.key) === alarm.id) openByKey.delete(alarm.key);
      } else openByKey.set(alarm.key, alarm.id);
      if (s > seq) seq = s;
    },
    prune(max) {
      if (alarms.size <= max) return [];
      const cleared = [...alarms.values()]
        .filter((a) => a.state === 'cleared')
        .sort((x, y) => x.updatedAt - y.updatedAt);
      const dropped: string[] = [];
      for (const a of cleared) {
        if (alarms.size <= max) break;
        alarms.delete(a.id);
        dropped.push(a.id);
      }
      return dropped;
    },
  };
}
