import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, PipelineError } from '../../core/errors.js';
import type { WarningLevel } from './levels.js';

/**
 * Declared warning periods (预警发布 / 调整 / 解除) and their durable store. Same discipline as the alarm
 * journal (alerting/store/journal.ts): append-only JSON Lines, fsync'd before an API answer or a
 * notification; replay keeps the last snapshot per warning; a torn last line is ignored.
 */
export interface WarningChange {
  at: number;
  transition: 'issued' | 'changed' | 'lifted';
  level: WarningLevel;
  actor: string;
  plannedEnd: number;
  comment?: string;
}

export interface Warning {
  id: string;
  region: string;
  level: WarningLevel;
  start: number;
  plannedEnd: number;
  /** Actual end (lifted). */
  end?: number;
  authority: string;
  docNo: string;
  state: 'active' | 'lifted';
  createdAt: number;
  history: WarningChange[];
}

export const WARNINGS_FILE = 'warnings.journal.jsonl';

export interface WarningStore {
  readonly warnings: ReadonlyMap<string, Warning>;
  save(w: Warning): void;
  close(): void;
}

export function openWarningStore(dir: string): WarningStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, WARNINGS_FILE);
  const warnings = new Map<string, Warning>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new PipelineError('HP_JOURNAL', `cannot read ${path}: ${errorMessage(err)}`);
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const w = JSON.parse(line) as Warning;
      warnings.set(w.id, w);
    } catch {
      // torn or corrupt line: the previous snapshot of that warning stays in force
    }
  }
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (err) {
    throw new PipelineError('HP_JOURNAL', `cannot open ${path}: ${errorMessage(err)}`);
  }
  let needsNewline = text.length > 0 && !text.endsWith('\n');
  let closed = false;
  return {
    warnings,
    save(w) {
      if (closed) throw new PipelineError('HP_JOURNAL', 'warning journal is closed');
      const buf = Buffer.from(`${needsNewline ? '\n' : ''}${JSON.stringify(w)}\n`);
      needsNewline = false;
      try {
        let written = 0;
        while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written);
        fsyncSync(fd);
      } catch (err) {
        throw new PipelineError('HP_JOURNAL', `cannot write ${path}: ${errorMessage(err)}`);
      }
      warnings.set(w.id, structuredClone(w));
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/** The level in force at time t (history is ordered), or undefined outside [start, end). */
export function levelAt(w: Warning, t: number): WarningLevel | undefined {
  if (t < w.start) return undefined;
  if (w.end !== undefined && t >= w.end) return undefined;
  let level: WarningLevel | undefined;
  for (const h of w.history) {
    if (h.transition === 'lifted') break;
    // A level change applies from its declaration (or the start, if declared before the start).
    if (Math.max(h.at, w.start) <= t) level = h.level;
    else if (level === undefined) level = h.level;
  }
  return level;
}
