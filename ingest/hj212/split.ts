import type { Clock } from '../../core/clock.js';
import type { PollutantValue, Reading } from '../reading.js';

/**
 * Split uploads (Flag.D, PNUM/PNO; STD 表C.49/C.50, hj212.md §3). Every sub-packet repeats DataTime, so
 * each decodes to a Reading on its own — the simplest robust reassembly is to merge those Readings by
 * (MN, CN, DataTime) rather than to concatenate CP text or trust QNs (each sub-packet has its own QN).
 */

/** Identity of a split upload: (MN, CN, DataTime). */
export function splitKey(reading: Pick<Reading, 'mn' | 'cn' | 'dataTime'>): string {
  return `${reading.mn}|${reading.cn}|${reading.dataTime.getTime()}`;
}

/**
 * Merges readings that share (MN, CN, DataTime) into one reading each, in first-seen order. Values of
 * the same code are merged field by field; when two sub-packets disagree on a field the earlier one
 * wins (a retransmission carries the same value; sub-packets do not legitimately overlap). The merged
 * reading keeps the first reading's receivedAt and the weakest CRC verdict of its parts.
 */
export function mergeReadings(readings: readonly Reading[]): Reading[] {
  const merged = new Map<string, { reading: Reading; byCode: Map<string, PollutantValue> }>();
  for (const reading of readings) {
    const key = splitKey(reading);
    let entry = merged.get(key);
    if (entry === undefined) {
      const byCode = new Map<string, PollutantValue>();
      const copy: Reading = { ...reading, values: [] };
      entry = { reading: copy, byCode };
      merged.set(key, entry);
    } else {
      entry.reading.crc = weakerCrc(entry.reading.crc, reading.crc);
    }
    for (const value of reading.values) {
      const existing = entry.byCode.get(value.code);
      if (existing === undefined) {
        const copy = { ...value };
        entry.byCode.set(value.code, copy);
        entry.reading.values.push(copy);
      } else {
        mergeValueInto(existing, value);
      }
    }
  }
  return [...merged.values()].map((entry) => entry.reading);
}

function mergeValueInto(target: PollutantValue, source: PollutantValue): void {
  // Field-generic copy: PollutantValue's fields have different types, which TS cannot index generically.
  const t = target as unknown as Record<string, unknown>;
  for (const [field, v] of Object.entries(source)) {
    if (v !== undefined && t[field] === undefined) t[field] = v;
  }
}

const CRC_STRENGTH: Record<NonNullable<Reading['crc']>, number> = { ok: 2, modbus: 1, unchecked: 0 };

function weakerCrc(a: Reading['crc'], b: Reading['crc']): Reading['crc'] {
  if (a === undefined || b === undefined) return a ?? b;
  return CRC_STRENGTH[a] <= CRC_STRENGTH[b] ? a : b;
}

/** Why a buffered split upload left the reassembler. */
export type SplitRelease = 'complete' | 'timeout' | 'evicted' | 'drained';

export interface ReleasedReading {
  reading: Reading;
  reason: SplitRelease;
  /** Sub-packet numbers received (sorted), and the PNUM they announced. */
  received: number[];
  pnum: number;
}

export interface SplitReassemblerOptions {
  clock: Clock;
  /**
   * How long to wait for the missing sub-packets after the first one, ms (default 30 000). Sub-packets
   * are sent back to back; retries come within OverTime × ReCount = 10 s × 3 (STD 表1).
   */
  timeoutMs?: number;
  /** Most split uploads buffered at once (default 1000); above it the oldest is released as partial. */
  maxPending?: number;
}

interface Pending {
  readings: Reading[];
  received: Set<number>;
  pnum: number;
  deadline: number;
}

/**
 * Bounded buffer of split uploads awaiting their other sub-packets (DESIGN.md §3.4: bounded, named,
 * stated overflow policy). Overflow and timeout release the partial merge, never drop it: each
 * sub-packet's values are real data. No timers of its own: the owner calls `expire()` (e.g. on a
 * timer it owns, or on every add) with time taken from the injected clock.
 */
export class SplitReassembler {
  private readonly pending = new Map<string, Pending>();
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly maxPending: number;

  constructor(options: SplitReassemblerOptions) {
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxPending = options.maxPending ?? 1000;
    if (!(this.timeoutMs > 0) || !(this.maxPending >= 1)) {
      throw new RangeError('SplitReassembler needs timeoutMs > 0 and maxPending >= 1');
    }
  }

  /** Split uploads currently buffered. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds one decoded sub-packet. `part` is the packet's PNUM/PNO (undefined for an unsplit upload, which
   * is released at once). Returns whatever leaves the buffer because of this call: the completed
   * upload, and/or the oldest partial one evicted to stay within `maxPending`. Sub-packets with
   * impossible numbers (PNO < 1 or > PNUM) are passed through on their own rather than buffered.
   */
  add(reading: Reading, part: { pnum: number; pno: number } | undefined): ReleasedReading[] {
    if (part === undefined || part.pnum <= 1 || part.pno < 1 || part.pno > part.pnum) {
      const pnum = part?.pnum ?? 1;
      return [{ reading, reason: 'complete', received: [part?.pno ?? 1], pnum }];
    }
    const released: ReleasedReading[] = [];
    const key = splitKey(reading);
    let entry = this.pending.get(key);
    if (entry === undefined) {
      if (this.pending.size >= this.maxPending) {
        const oldestKey = this.pending.keys().next().value;
        if (oldestKey !== undefined) released.push(this.release(oldestKey, 'evicted'));
      }
      entry = {
        readings: [],
        received: new Set(),
        pnum: part.pnum,
        deadline: this.clock.now() + this.timeoutMs,
      };
      this.pending.set(key, entry);
    }
    // A retransmitted sub-packet adds nothing new but is merged anyway (earlier values win).
    entry.readings.push(reading);
    entry.received.add(part.pno);
    if (isComplete(entry)) released.push(this.release(key, 'complete'));
    return released;
  }

  /** Releases (as partial merges) every upload whose deadline has passed. */
  expire(): ReleasedReading[] {
    const now = this.clock.now();
    const released: ReleasedReading[] = [];
    // Deadlines grow with insertion order (fixed timeout, monotonic clock), so stop at the first live one.
    for (const [key, entry] of this.pending) {
      if (entry.deadline > now) break;
      released.push(this.release(key, 'timeout'));
    }
    return released;
  }

  /** Releases everything (shutdown). */
  drain(): ReleasedReading[] {
    return [...this.pending.keys()].map((key) => this.release(key, 'drained'));
  }

  private release(key: string, reason: SplitRelease): ReleasedReading {
    const entry = this.pending.get(key) as Pending;
    this.pending.delete(key);
    const [reading] = mergeReadings(entry.readings) as [Reading];
    return { reading, reason, received: [...entry.received].sort((a, b) => a - b), pnum: entry.pnum };
  }
}

/** Every sub-packet 1..PNUM (of the first sub-packet's PNUM) has arrived. */
function isComplete(entry: Pending): boolean {
  for (let pno = 1; pno <= entry.pnum; pno++) if (!entry.received.has(pno)) return false;
  return true;
}
