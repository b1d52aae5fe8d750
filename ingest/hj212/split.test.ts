import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import type { Reading } from '../reading.js';
import { decodeFrame } from './packet.js';
import { mergeReadings, SplitReassembler, splitKey } from './split.js';
import { toReading } from './to-reading.js';
import { vectorById } from './vectors.fixture.js';

const ZONE = 'Asia/Shanghai';
const receivedAt = new Date('2026-01-01T00:00:00Z');

function decodeToReading(id: string) {
  const decoded = decodeFrame(vectorById(id).raw);
  if (!decoded.ok) throw new Error(decoded.reason);
  const result = toReading(decoded.packet, { zone: ZONE, receivedAt });
  if (!result.ok) throw new Error(result.reason);
  const { pnum, pno } = decoded.packet.header;
  const part = decoded.packet.split && pnum !== undefined && pno !== undefined ? { pnum, pno } : undefined;
  return { reading: result.reading, part };
}

class FakeClock implements Clock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
}

function reading(mn: string, minute: number, values: Reading['values'], crc: Reading['crc'] = 'ok'): Reading {
  return {
    mn,
    st: '31',
    cn: '2061',
    kind: 'hour',
    dataTime: new Date(Date.UTC(2026, 0, 1, 0, minute)),
    receivedAt,
    source: 'hj212-tcp',
    values,
    crc,
  };
}

describe('mergeReadings', () => {
  it('表C.50: the two sub-packets merge into the unsplit hour upload (表C.48)', () => {
    const a = decodeToReading('std-C50-2061-split-ack-1of2').reading;
    const b = decodeToReading('std-C50-2061-split-ack-2of2').reading;
    const whole = decodeToReading('std-C48-2061-history-upload-ack').reading;
    expect(mergeReadings([a, b])).toEqual([whole]);
    expect(mergeReadings([b, a])[0]?.values.map((v) => v.code)).toEqual(['w01018', 'w00000', 'w01001']);
  });

  it('merges per key, fields of one code across parts, earlier values win, weakest CRC verdict', () => {
    const merged = mergeReadings([
      reading('A', 0, [{ code: 'a21026', avg: 1 }]),
      reading('B', 0, [{ code: 'a21026', avg: 9 }]),
      reading(
        'A',
        0,
        [
          { code: 'a21026', avg: 2, max: 3 },
          { code: 'a19001', avg: 8 },
        ],
        'modbus',
      ),
    ]);
    expect(merged).toHaveLength(2);
    expect(merged[0]?.values).toEqual([
      { code: 'a21026', avg: 1, max: 3 },
      { code: 'a19001', avg: 8 },
    ]);
    expect(merged[0]?.crc).toBe('modbus');
    expect(merged[1]?.mn).toBe('B');
  });

  it('does not mutate its inputs', () => {
    const first = reading('A', 0, [{ code: 'a21026', avg: 1 }]);
    mergeReadings([first, reading('A', 0, [{ code: 'a21026', max: 5 }])]);
    expect(first.values).toEqual([{ code: 'a21026', avg: 1 }]);
  });
});

describe('SplitReassembler', () => {
  it('releases the merged upload when every PNO has arrived, in any order, duplicates tolerated', () => {
    const clock = new FakeClock();
    const r = new SplitReassembler({ clock });
    const one = decodeToReading('std-C49-2061-split-noack-1of2');
    const two = decodeToReading('std-C49-2061-split-noack-2of2');
    expect(r.add(two.reading, two.part)).toEqual([]);
    expect(r.add(two.reading, two.part)).toEqual([]);
    expect(r.size).toBe(1);
    const released = r.add(one.reading, one.part);
    expect(released).toHaveLength(1);
    expect(released[0]).toMatchObject({ reason: 'complete', received: [1, 2], pnum: 2 });
    expect(released[0]?.reading.values.map((v) => v.code)).toEqual(['w01018', 'w00000', 'w01001']);
    expect(r.size).toBe(0);
  });

  it('passes unsplit uploads straight through', () => {
    const r = new SplitReassembler({ clock: new FakeClock() });
    const whole = decodeToReading('std-C17-2061-hour');
    expect(whole.part).toBeUndefined();
    expect(r.add(whole.reading, whole.part)).toEqual([
      { reading: whole.reading, reason: 'complete', received: [1], pnum: 1 },
    ]);
    expect(r.size).toBe(0);
  });

  it('times out partial uploads by the injected clock and releases them, not drops them', () => {
    const clock = new FakeClock(1000);
    const r = new SplitReassembler({ clock, timeoutMs: 5000 });
    r.add(reading('A', 0, [{ code: 'a21026', avg: 1 }]), { pnum: 3, pno: 1 });
    clock.t = 3000;
    r.add(reading('B', 0, [{ code: 'a21026', avg: 2 }]), { pnum: 2, pno: 2 });
    clock.t = 5999;
    expect(r.expire()).toEqual([]);
    clock.t = 6000;
    const expired = r.expire();
    expect(expired.map((e) => [e.reading.mn, e.reason, e.received])).toEqual([['A', 'timeout', [1]]]);
    expect(r.size).toBe(1);
    clock.t = 8000;
    expect(r.expire().map((e) => e.reading.mn)).toEqual(['B']);
  });

  it('is bounded: the oldest partial is evicted (released) when full', () => {
    const r = new SplitReassembler({ clock: new FakeClock(), maxPending: 2 });
    r.add(reading('A', 0, [{ code: 'x', avg: 1 }]), { pnum: 2, pno: 1 });
    r.add(reading('A', 1, [{ code: 'x', avg: 1 }]), { pnum: 2, pno: 1 });
    const out = r.add(reading('A', 2, [{ code: 'x', avg: 1 }]), { pnum: 2, pno: 1 });
    expect(out.map((o) => [o.reason, o.reading.dataTime.getUTCMinutes()])).toEqual([['evicted', 0]]);
    expect(r.size).toBe(2);
    expect(r.drain().map((o) => o.reason)).toEqual(['drained', 'drained']);
    expect(r.size).toBe(0);
  });

  it('keys by (MN, CN, DataTime)', () => {
    expect(splitKey(reading('A', 5, []))).toBe(`A|2061|${Date.UTC(2026, 0, 1, 0, 5)}`);
  });

  it('impossible part numbers are passed through on their own', () => {
    const r = new SplitReassembler({ clock: new FakeClock() });
    const out = r.add(reading('A', 0, []), { pnum: 2, pno: 5 });
    expect(out).toHaveLength(1);
    expect(r.size).toBe(0);
  });
});
