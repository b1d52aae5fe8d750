import { describe, expect, it } from 'vitest';
import { createBufferPool } from './reusable-buffer.js';

const sharesMemory = (a: Buffer, b: Buffer) => a.buffer === b.buffer;

describe('createBufferPool', () => {
  it('lends exactly the bytes asked for, from the same memory each time', () => {
    const pool = createBufferPool({ maxKept: 1, maxKeptBytes: 1 << 20 });
    const first = pool.lease(100);
    expect(first.buf.length).toBe(100);
    first.release();
    const second = pool.lease(60);
    expect(second.buf.length).toBe(60);
    expect(sharesMemory(first.buf, second.buf)).toBe(true);
    second.release();
  });

  it('keeps power-of-two sizes, replaces a kept buffer that is too small, never keeps one above the bound', () => {
    const pool = createBufferPool({ maxKept: 1, maxKeptBytes: 1 << 16 });
    const small = pool.lease(100);
    expect(small.buf.buffer.byteLength).toBe(4096);
    small.release();
    const grown = pool.lease(5000);
    expect(grown.buf.buffer.byteLength).toBe(8192);
    expect(sharesMemory(grown.buf, small.buf)).toBe(false);
    grown.release();
    const huge = pool.lease(1 << 17);
    expect(huge.buf.length).toBe(1 << 17);
    huge.release();
    const again = pool.lease(3000);
    expect(sharesMemory(again.buf, grown.buf)).toBe(true); // the huge one was not kept
    again.release();
  });

  it('lends separate buffers to overlapping leases, up to maxKept kept ones, then one-offs', () => {
    const pool = createBufferPool({ maxKept: 2, maxKeptBytes: 1 << 16 });
    const [a, b, c] = [pool.lease(100), pool.lease(100), pool.lease(100)];
    a.buf.fill(1);
    b.buf.fill(2);
    c.buf.fill(3);
    expect([a, b, c].map((l) => l.buf[0])).toEqual([1, 2, 3]);
    for (const l of [a, b, c]) l.release();
    const reused = [pool.lease(100), pool.lease(100)];
    const kept = (l: { buf: Buffer }) => [a, b].some((k) => sharesMemory(k.buf, l.buf));
    expect(reused.every(kept)).toBe(true); // c was a one-off and is not among them
    for (const l of reused) l.release();
  });

  it('ignores a repeated release, so a buffer is never lent twice at once', () => {
    const pool = createBufferPool({ maxKept: 1, maxKeptBytes: 1 << 16 });
    const a = pool.lease(100);
    a.release();
    const b = pool.lease(100);
    a.release(); // stale: must not put b's buffer back
    const c = pool.lease(100);
    expect(sharesMemory(b.buf, c.buf)).toBe(false);
    b.release();
    c.release();
  });
});
