import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRegistry } from '../config/registry.js';
import {
  buildDataAck9014,
  buildQnRtn9011,
  buildSetTime1012,
  decodeFrame,
  encodeUpload,
} from '../ingest/hj212/index.js';
import { createIntervalAggregator, windowStart } from './hj212-aggregate.js';
import { createHj212Device } from './hj212-device.js';
import { encodingFor, parseQuirks, quirksFor } from './hj212-quirks.js';
import type { SimReading } from './readings.js';

const ZONE = 'Asia/Shanghai';
const MN = '010000A8900016F000169DC0';
const T0 = Date.parse('2026-11-23T10:00:00+08:00');

function rtd(k: number, stepMs: number, values: Record<string, number>, flag = 'N'): SimReading {
  return {
    seq: k,
    dataTimeMs: T0 + k * stepMs,
    mn: MN,
    outlet: 'o1',
    enterprise: 'e1',
    st: '31',
    kind: 'rtd',
    cn: '2011',
    values: Object.fromEntries(Object.entries(values).map(([c, v]) => [c, { rtd: v, flag }])),
    dropped: [],
    payload: 'x',
  };
}

describe('interval aggregation (minute/hour/day data of a simulated gateway)', () => {
  it('windows follow local wall time', () => {
    const t = Date.parse('2026-11-23T10:37:12+08:00');
    expect(new Date(windowStart('minute', t, ZONE, 10)).toISOString()).toBe('2026-11-23T02:30:00.000Z');
    expect(new Date(windowStart('hour', t, ZONE, 10)).toISOString()).toBe('2026-11-23T02:00:00.000Z');
    expect(new Date(windowStart('day', t, ZONE, 10)).toISOString()).toBe('2026-11-22T16:00:00.000Z');
  });

  it('emits avg (rounded to wire precision), min, max and flag when the window closes', () => {
    const agg = createIntervalAggregator({
      kind: 'minute',
      zone: ZONE,
      sourceType: 'coal-boiler',
      minIntervalMin: 10,
    });
    const step = 60_000;
    const out: SimReading[] = [];
    for (let k = 0; k < 20; k++) {
      const r = rtd(k, step, { a21026: k + 0.25 }, k === 3 ? 'D' : 'N');
      const record = agg.add(r, r.dataTimeMs + step);
      if (record) out.push(record);
    }
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ kind: 'minute', cn: '2051', dataTimeMs: T0 });
    expect(out[0]?.values.a21026).toEqual({ avg: 4.75, min: 0.25, max: 9.25, flag: 'D' });
    expect(out[1]?.values.a21026).toEqual({ avg: 14.75, min: 10.25, max: 19.25, flag: 'N' });
    expect(out[1]?.dataTimeMs).toBe(T0 + 600_000);
  });
});

describe('quirks', () => {
  const registry = parseRegistry({
    version: 1,
    enterprises: [
      {
        id: 'e1',
        name: 'e',
        region: 'r',
        outlets: [
          {
            id: 'o1',
            name: 'o',
            medium: 'gas',
            sourceType: 'coal-boiler',
            gateway: { mn: MN, password: 'secret-1' },
            pollutants: [{ code: 'a21026', unit: 'mg/m3' }],
          },
        ],
      },
    ],
  });
  it('global and per-device quirks combine; encoder settings follow', () => {
    const parsed = parseQuirks('sticky, o1:modbus-crc, other:split');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const q = quirksFor(parsed.spec, registry.entries()[0]!);
    expect([...q].sort()).toEqual(['modbus-crc', 'sticky']);
    expect(encodingFor(q)).toMatchObject({
      crcStyle: 'modbus-low-first',
      version: '2017',
      ackRequired: true,
    });
    expect(encodingFor(new Set(['hj212-2005']))).toMatchObject({ version: '2005', ackRequired: false });
    expect(parseQuirks('fast')).toEqual({
      ok: false,
      problems: [expect.stringContaining('unknown quirk "fast"')],
    });
  });
});

describe('simulated HJ 212 device', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const frames = () =>
    encodeUpload(
      {
        st: '31',
        cn: '2011',
        mn: MN,
        dataTime: new Date(T0),
        values: [{ code: 'a21026', rtd: 1, flag: 'N' }],
      },
      { qn: '20261123100000000', pw: 'secret-1', zone: ZONE },
    ).map((frame) => ({ frame, qn: '20261123100000000' }));

  it('resolves acked on the 9014 with its QN', async () => {
    const written: string[] = [];
    const device = createHj212Device({
      write: (f) => written.push(...f),
      ackTimeoutMs: 1000,
      reCount: 3,
      framedInput: false,
    });
    const sent = device.send(frames(), true);
    // The ack arrives split over two reads, as TCP may deliver it.
    const ack = Buffer.from(buildDataAck9014({ qn: '20261123100000000', pw: 'secret-1', mn: MN }));
    device.receive(ack.subarray(0, 10));
    device.receive(ack.subarray(10));
    await expect(sent).resolves.toEqual({ acked: true, retransmissions: 0 });
    expect(written).toHaveLength(1);
    device.receive(ack);
    expect(device.stats.unexpectedAcks).toBe(1);
  });

  it('retransmits after OverTime, ReCount times, then gives up', async () => {
    vi.useFakeTimers();
    const written: string[] = [];
    const device = createHj212Device({
      write: (f) => written.push(...f),
      ackTimeoutMs: 1000,
      reCount: 3,
      framedInput: true,
    });
    const sent = device.send(frames(), true);
    await vi.advanceTimersByTimeAsync(4500);
    await expect(sent).resolves.toEqual({ acked: false, retransmissions: 3 });
    expect(written).toHaveLength(4);
    expect(new Set(written).size).toBe(1);
  });

  it('a 9011 refusal ends the wait; a 1012 is answered with 9011 + 9012', async () => {
    const written: string[] = [];
    const device = createHj212Device({
      write: (f) => written.push(...f),
      ackTimeoutMs: 60_000,
      reCount: 3,
      framedInput: true,
    });
    const sent = device.send(frames(), true);
    device.receive(Buffer.from(buildQnRtn9011({ qn: '20261123100000000', pw: 'x', mn: MN }, 3)));
    await expect(sent).resolves.toMatchObject({ acked: false });
    device.receive(
      Buffer.from(
        buildSetTime1012({ qn: '20261123100000555', st: '31', pw: 'secret-1', mn: MN }, '20261123100000'),
      ),
    );
    const answers = written.slice(1).map((f) => {
      const d = decodeFrame(f);
      return d.ok ? `${d.packet.header.cn}:${d.packet.header.qn}` : 'bad';
    });
    expect(answers).toEqual(['9011:20261123100000555', '9012:20261123100000555']);
    expect(device.stats).toMatchObject({ refusals: 1, clockSets: 1 });
    device.stop();
  });
});
