import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, PipelineError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Alarm, AlarmEvent } from '../lifecycle/book.js';
import type { AttemptRecord } from '../notify/outbox.js';
import type { RenderedMessage } from '../notify/render.js';

/**
 * The alarm journal: the source of truth for alarms. An append-only JSON Lines file in the state
 * directory; every record is written and fsync'd before the engine notifies anyone or answers an API
 * call, so a crash (even kill -9) loses nothing that was acted upon. InfluxDB `alarm_event` is a
 * mirror for Grafana; alarms survive an InfluxDB outage because nothing is read back from it.
 *
 * Records:
 * - `{"k":"a","e":AlarmEvent,"s":Alarm}`: a transition and the alarm's snapshot after it;
 * - `{"k":"q",…}`: a delivery queued (channel, event, rendered message), so a restart resumes it; a
 *   notice that is not an alarm of the book (heavy-pollution warning transitions) carries `notice`, the
 *   snapshot the channels need (its Alarm-shaped view and contact e-mails);
 * - `{"k":"d",…}`: one delivery attempt (sent / retry / failed).
 * - `{"k":"t","at":ms}`: a tick that judged windows (watermark: windows closed by `at` are judged).
 * Replay keeps the last snapshot per alarm. A torn last line (crash mid-write) is cut off on open.
 */
export interface QueuedRecord {
  id: string;
  alarmId: string;
  eventSeq: number;
  channelId: string;
  transition: AlarmEvent['transition'];
  message: RenderedMessage;
  at: number;
  /** Notices outside the alarm book (warning transitions): what a restart needs to resend them. */
  notice?: { alarm: Alarm; contactEmails: string[] };
}

export type JournalRecord =
  | { k: 'a'; e: AlarmEvent; s: Alarm }
  | ({ k: 'q' } & QueuedRecord)
  | ({ k: 'd' } & AttemptRecord)
  /** A tick that judged windows: hours closed by `at` are judged (rebuild of open windows on start). */
  | { k: 't'; at: number };

export interface DeliveryState {
  queued: QueuedRecord;
  attempts: AttemptRecord[];
}

export interface Replay {
  alarms: Map<string, Alarm>;
  events: Map<string, AlarmEvent[]>;
  deliveries: Map<string, DeliveryState>;
  /**
   * Notices (`alarmId|eventSeq`) with a queued delivery or an attempt on record: a warning transition
   * in this set has been handed to the outbox and is never notified again from scratch.
   */
  notices: Set<string>;
  maxSeq: number;
  /** Time of the newest tick that judged a window (absent in journals from before it was recorded). */
  lastTickAt?: number;
  records: number;
  skipped: number;
  /** Byte length of the intact prefix (a torn last line is cut off on open). */
  truncateTo?: number;
}

export interface Journal {
  readonly path: string;
  append(records: readonly JournalRecord[]): void;
  close(): void;
}

export const JOURNAL_FILE = 'alarms.journal.jsonl';

export function replayJournal(path: string, log?: Logger): Replay {
  const replay: Replay = {
    alarms: new Map(),
    events: new Map(),
    deliveries: new Map(),
    notices: new Set(),
    maxSeq: 0,
    records: 0,
    skipped: 0,
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return replay;
    throw new PipelineError('ALR_JOURNAL', `cannot read alarm journal ${path}: ${errorMessage(err)}`);
  }
  const lines = text.split('\n');
  let goodBytes = 0;
  let offset = 0;
  lines.forEach((line, i) => {
    const lineBytes = Buffer.byteLength(line) + (i < lines.length - 1 ? 1 : 0);
    const start = offset;
    offset += lineBytes;
    if (line.trim() === '') {
      if (i < lines.length - 1) goodBytes = offset;
      return;
    }
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch {
      if (i === lines.length - 1) return; // torn tail: truncated below
      replay.skipped++;
      log?.error({ code: 'ALR_JOURNAL', line: i + 1 }, 'corrupt alarm journal line skipped');
      goodBytes = offset;
      return;
    }
    if (i === lines.length - 1) {
      // A complete JSON record without its newline: keep it, the next append starts a new line.
      goodBytes = start + lineBytes;
    } else goodBytes = offset;
    replay.records++;
    apply(replay, rec);
  });
  replay.truncateTo = goodBytes;
  return replay;
}

function apply(r: Replay, rec: JournalRecord): void {
  switch (rec.k) {
    case 'a': {
      r.alarms.set(rec.s.id, rec.s);
      let list = r.events.get(rec.s.id);
      if (!list) {
        list = [];
        r.events.set(rec.s.id, list);
      }
      list.push(rec.e);
      if (rec.e.seq > r.maxSeq) r.maxSeq = rec.e.seq;
      break;
    }
    case 'q': {
      const { k: _k, ...queued } = rec;
      r.deliveries.set(rec.id, { queued, attempts: [] });
      if (rec.notice) r.notices.add(`${rec.alarmId}|${rec.eventSeq}`);
      break;
    }
    case 't':
      if (r.lastTickAt === undefined || rec.at > r.lastTickAt) r.lastTickAt = rec.at;
      break;
    case 'd': {
      const { k: _k, ...attempt } = rec;
      const d = r.deliveries.get(rec.id);
      if (d) d.attempts.push(attempt);
      // An attempt without its queue record: a warning notice journaled before notices were queued.
      else if (!r.alarms.has(rec.alarmId)) r.notices.add(`${rec.alarmId}|${rec.eventSeq}`);
      break;
    }
  }
}

/** Opens (creating) the journal in `dir`, replays it, cuts a torn tail, and returns both. */
export function openJournal(dir: string, log?: Logger): { journal: Journal; replay: Replay } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, JOURNAL_FILE);
  const replay = replayJournal(path, log);
  let fd: number;
  try {
    fd = openSync(path, 'a+', 0o600);
    if (replay.truncateTo !== undefined) {
      ftruncateSync(fd, replay.truncateTo);
      fsyncSync(fd);
    }
  } catch (err) {
    throw new PipelineError('ALR_JOURNAL', `cannot open alarm journal ${path}: ${errorMessage(err)}`);
  }
  let closed = false;
  let needsNewline = false;
  if (replay.truncateTo !== undefined && replay.truncateTo > 0) {
    const text = readFileSync(path, 'utf8');
    needsNewline = !text.endsWith('\n');
  }
  return {
    replay,
    journal: {
      path,
      append(records) {
        if (closed) throw new PipelineError('ALR_JOURNAL', 'alarm journal is closed');
        if (records.length === 0) return;
        let body = records.map((r) => JSON.stringify(r)).join('\n');
        body = `${needsNewline ? '\n' : ''}${body}\n`;
        needsNewline = false;
        try {
          const buf = Buffer.from(body);
          let written = 0;
          while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written);
          fsyncSync(fd);
        } catch (err) {
          throw new PipelineError('ALR_JOURNAL', `cannot write alarm journal ${path}: ${errorMessage(err)}`);
        }
      },
      close() {
        if (closed) return;
        closed = true;
        closeSync(fd);
      },
    },
  };
}
