import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alarm, AlarmEvent } from '../lifecycle/book.js';
import { JOURNAL_FILE, openJournal } from './journal.js';

const alarm = { id: 'A1', key: 'k', state: 'active' } as Alarm;
const ev = (seq: number, transition: AlarmEvent['transition']): AlarmEvent => ({
  seq,
  alarmId: 'A1',
  at: seq,
  transition,
  actor: 'system',
  state: 'active',
  severity: 'exceedance',
});

describe('alarm journal', () => {
  it('replays the last snapshot per alarm and every event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const { journal } = openJournal(dir);
    journal.append([{ k: 'a', e: ev(1, 'open'), s: alarm }]);
    journal.append([{ k: 'a', e: ev(2, 'ack'), s: { ...alarm, state: 'acknowledged' } }]);
    journal.close();
    const { replay, journal: j2 } = openJournal(dir);
    j2.close();
    expect(replay.alarms.get('A1')?.state).toBe('acknowledged');
    expect(replay.events.get('A1')?.map((e) => e.transition)).toEqual(['open', 'ack']);
    expect(replay.maxSeq).toBe(2);
  });

  it('cuts a torn last line, skips a corrupt middle line, and appends cleanly afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const path = join(dir, JOURNAL_FILE);
    writeFileSync(
      path,
      `${JSON.stringify({ k: 'a', e: ev(1, 'open'), s: alarm })}\nnot json\n${JSON.stringify({ k: 'a', e: ev(2, 'update'), s: alarm })}\n`,
    );
    appendFileSync(path, '{"k":"a","e":{"seq":3');
    const { replay, journal } = openJournal(dir);
    expect(replay.skipped).toBe(1);
    expect(replay.records).toBe(2);
    journal.append([{ k: 'a', e: ev(3, 'clear'), s: { ...alarm, state: 'cleared' } }]);
    journal.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    const again = openJournal(dir);
    again.journal.close();
    expect(again.replay.alarms.get('A1')?.state).toBe('cleared');
    expect(again.replay.skipped).toBe(1);
  });
});
