import {
  appendFileSync,
  constants as fsConstants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPipelineError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { createSpool, type Spool, type SpoolState } from './spool.js';

const log = createLogger({ level: 'silent' });

function spoolAt(dir: string, over: Partial<Parameters<typeof createSpool>[0]> = {}): Spool {
  return createSpool({
    dir,
    maxBytes: 1 << 20,
    segmentBytes: 1 << 16,
    checkpointIntervalMs: 10,
    log,
    ...over,
  });
}

async function drainAll(spool: Spool): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const batch = await spool.read(4096);
    if (!batch) return lines;
    lines.push(...batch.body.toString().split('\n'));
    spool.ack(batch);
  }
}

/**
 * Reads and acknowledges batches of about `batchBytes` until `count` lines came back, yielding while
 * waiting appends are still being written (bounded).
 */
async function readLines(spool: Spool, count: number, batchBytes: number): Promise<string[]> {
  const got: string[] = [];
  for (let turn = 0; got.length < count && turn < 100_000; turn++) {
    const batch = await spool.read(batchBytes);
    if (!batch) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    got.push(...batch.body.toString().split('\n'));
    spool.ack(batch);
  }
  return got;
}

const line = (i: number) => `m,mn=MN${i % 7},outlet_name=${i}号排口 value=${i}.5 ${1_700_000_000_000 + i}`;

/** open(2) flags of this process's descriptor for `path` (Linux /proc), undefined when it has none. */
function openFlags(path: string): number | undefined {
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== path) continue;
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    return Number.parseInt(/^flags:\s*([0-7]+)$/m.exec(info)?.[1] ?? '', 8);
  }
  return undefined;
}

describe('spool', () => {
  it('group-commits concurrent appends in one durable write to a segment opened with O_DSYNC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const commits: Array<{ seconds: number; records: number }> = [];
    const spool = spoolAt(dir, { onCommit: (seconds, records) => commits.push({ seconds, records }) });
    await spool.open();
    await Promise.all(Array.from({ length: 5 }, (_, i) => spool.append([line(i)])));
    expect(commits).toHaveLength(1);
    expect(commits[0]?.records).toBe(5);
    expect(commits[0]?.seconds).toBeGreaterThan(0);
    const segment = readdirSync(dir).find((n) => n.endsWith('.wal')) as string;
    // Durable on return of the write itself: no separate fdatasync round trip through the event loop.
    expect((openFlags(join(dir, segment)) ?? 0) & fsConstants.O_DSYNC).toBe(fsConstants.O_DSYNC);
    await spool.close();
  });

  it('returns appended records in order and keeps only unacknowledged ones across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const a = spoolAt(dir);
    await a.open();
    for (let i = 0; i < 500; i++) await a.append([line(i), line(i + 10_000)]);
    expect(a.stats).toMatchObject({ state: 'ok', pendingLines: 1000 });
    // Acknowledge about half, then "crash" (no close: the checkpoint timer has run meanwhile).
    let acked = 0;
    while (acked < 500) {
      const batch = await a.read(2048);
      if (!batch) break;
      a.ack(batch);
      acked += batch.lines;
    }
    await new Promise((r) => setTimeout(r, 50)); // let the 10 ms checkpoint timer persist the position
    const b = spoolAt(dir);
    await b.open();
    const replayed = await drainAll(b);
    const all = Array.from({ length: 500 }, (_, i) => [line(i), line(i + 10_000)]).flat();
    expect(replayed).toEqual(all.slice(acked));
    await b.close();
    await a.close();
  });

  it('keeps each batch body intact until its ack, across later reads that reuse the buffers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const s = spoolAt(dir, { segmentBytes: 1 << 20 });
    await s.open();
    for (let i = 0; i < 60; i++) await s.append([line(i)]);
    const expected = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => line(from + i)).join('\n');
    // Ten unacknowledged batches: more than the pool keeps, so later ones are one-off buffers.
    const held = [];
    for (let i = 0; i < 10; i++) held.push((await s.readBatches(256, 1))[0]!);
    const texts = held.map((b) => b.body.toString());
    let from = 0;
    for (const [i, b] of held.entries()) {
      expect(texts[i]).toBe(expected(from, b.lines));
      from += b.lines;
    }
    // Ack the first half, read more (reusing their buffers): the unacked half is untouched.
    for (const b of held.slice(0, 5)) s.ack(b);
    const later = await s.readBatches(256, 4);
    for (const [i, b] of held.slice(5).entries()) expect(b.body.toString()).toBe(texts[i + 5]);
    for (const b of later) {
      expect(b.body.toString()).toBe(expected(from, b.lines));
      from += b.lines;
    }
    await s.close();
  });

  it('reads several consecutive batches from one read, each within the byte bound, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const s = spoolAt(dir, { segmentBytes: 1 << 20 });
    await s.open();
    for (let i = 0; i < 100; i++) await s.append([line(i)]);
    const batches = await s.readBatches(1024, 3);
    expect(batches).toHaveLength(3);
    let offset = batches[0]!.end.offset - batches[0]!.bytes;
    for (const b of batches) {
      expect(b.bytes).toBeLessThanOrEqual(1024);
      expect(b.lines).toBe(b.records);
      expect(b.end.offset).toBe(offset + b.bytes); // consecutive: each starts where the previous ended
      offset = b.end.offset;
    }
    const first = batches.flatMap((b) => b.body.toString().split('\n'));
    for (const b of batches) s.ack(b);
    const rest = await drainAll(s);
    expect([...first, ...rest]).toEqual(Array.from({ length: 100 }, (_, i) => line(i)));
    expect(await s.readBatches(1024, 4)).toEqual([]);
    await s.append([line(100)]);
    expect(await s.readBatches(1024, 0)).toEqual([]); // no free slot: nothing read
    expect((await s.readBatches(1024, 1))[0]?.lines).toBe(1);
    await s.close();
  });

  it('spans segments and deletes fully acknowledged ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const s = spoolAt(dir, { segmentBytes: 4096 });
    await s.open();
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      sent.push(line(i));
      await s.append([line(i)]);
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.wal')).length).toBeGreaterThan(5);
    expect(await drainAll(s)).toEqual(sent);
    await s.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.wal')).length).toBeLessThanOrEqual(2);
    const again = spoolAt(dir);
    await again.open();
    expect(again.stats.pendingLines).toBe(0);
    expect(await again.read(4096)).toBeUndefined();
    await again.close();
  });

  it('discards a torn tail left by a crash and keeps every whole record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const s = spoolAt(dir);
    await s.open();
    for (let i = 0; i < 10; i++) await s.append([line(i)]);
    const seg = readdirSync(dir)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .at(-1) as string;
    appendFileSync(join(dir, seg), Buffer.from([0xe5, 0x5a, 1, 0, 200, 0, 0, 0, 1, 2, 3])); // header of a record never finished
    const after = spoolAt(dir);
    await after.open();
    await after.append([line(99)]);
    expect(await drainAll(after)).toEqual([...Array.from({ length: 10 }, (_, i) => line(i)), line(99)]);
    await after.close();
    await s.close();
  });

  it('makes appends wait when full, and lets them in as acknowledgements free space', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const states: SpoolState[] = [];
    const s = spoolAt(dir, { maxBytes: 2000, onStateChange: (st) => states.push(st) });
    await s.open();
    let stored = 0;
    const appends = Array.from({ length: 40 }, (_, i) => s.append([line(i)]).then(() => stored++));
    await new Promise((r) => setTimeout(r, 20));
    expect(stored).toBeLessThan(40);
    expect(s.stats.state).toBe('full');
    expect(s.stats.pendingBytes).toBeLessThanOrEqual(2000);
    const got = await readLines(s, 40, 512);
    await Promise.all(appends);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => line(i)));
    expect(states).toEqual(['full', 'ok']);
    await s.close();
  });

  it('held at its limit, reports full once (not full/ok per acknowledgement) until below 90 %', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const states: SpoolState[] = [];
    // Records of one size R (4-digit i), room for exactly 10.
    const R = 12 + Buffer.byteLength(line(1000));
    const s = spoolAt(dir, { maxBytes: 10 * R, onStateChange: (st) => states.push(st) });
    await s.open();
    const appends = Array.from({ length: 12 }, (_, i) => s.append([line(1000 + i)]));
    await Promise.all(appends.slice(0, 10)); // 10 stored, 2 waiting
    expect(states).toEqual(['full']);
    // Acknowledging 3 lets both waiting appends in: 9 R used, nobody waiting, below the limit but not
    // below 90 % of it, so still full; the next append that does not fit does not report full again.
    const batch = await s.read(3 * R);
    expect(batch?.records).toBe(3);
    s.ack(batch as NonNullable<typeof batch>);
    await Promise.all(appends);
    appends.push(s.append([line(1012)]), s.append([line(1013)])); // the second one waits
    expect(states).toEqual(['full']);
    // Consumed down to nothing: ok again, once.
    expect(await readLines(s, 11, 4096)).toHaveLength(11);
    await Promise.all(appends);
    expect(states).toEqual(['full', 'ok']);
    await s.close();
  });

  it('cannot open in an unusable directory: state failed, appends refused, nothing acknowledged', async () => {
    const base = mkdtempSync(join(tmpdir(), 'spool-'));
    writeFileSync(join(base, 'not-a-dir'), 'x');
    const s = spoolAt(join(base, 'not-a-dir', 'spool'));
    await s.open();
    expect(s.stats.state).toBe('failed');
    expect(s.stats.lastError).toMatch(/ENOTDIR|EEXIST/);
    const err = await s.append([line(1)]).catch((e: unknown) => e);
    expect(isPipelineError(err, 'SPOOL_WRITE_FAILED')).toBe(true);
    await s.close();
  });

  it('a write error (disk full) fails the affected appends, then recovers on a new segment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const s = spoolAt(dir, { segmentBytes: 100 });
    await s.open();
    await s.append([line(1), line(11), line(21)]); // > 100 bytes: the next append opens segment 2
    const next = readdirSync(dir)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .at(-1) as string;
    const seq = Number(/(\d{16})/.exec(next)?.[1]) + 1;
    // The next segment file is /dev/full: every write to it fails with ENOSPC.
    symlinkSync('/dev/full', join(dir, `seg-${String(seq).padStart(16, '0')}.wal`));
    const err = await s.append([line(2)]).catch((e: unknown) => e);
    expect(isPipelineError(err, 'SPOOL_WRITE_FAILED')).toBe(true);
    expect(s.stats.state).toBe('failed');
    await s.append([line(3)]);
    expect(s.stats.state).toBe('ok');
    expect(await drainAll(s)).toEqual([line(1), line(11), line(21), line(3)]);
    await s.close();
  });
});
