import { describe, expect, it } from 'vitest';
import { parseRegistry } from '../../config/registry.js';
import type { ErrorCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import {
  buildFrame,
  decodeFrame,
  encodeFrame,
  encodeUpload,
  findCpValue,
  modbusCrcLowFirst,
} from '../hj212/index.js';
import type { AcceptOutcome, Intake } from '../intake.js';
import { createIngestMetrics } from '../metrics.js';
import type { Reading } from '../reading.js';
import { Hj212Config } from './config.js';
import { classifyPacket, createHj212FrameHandler, type Hj212Session } from './frame-handler.js';

const MN = '010000A8900016F000169DC0';
const MN_LENIENT = '010000A8900016F000169DC1';
const PW = 'secret-1';
const ZONE = 'Asia/Shanghai';
const NOW = Date.parse('2026-11-23T10:00:30+08:00');

const registry = parseRegistry({
  version: 1,
  enterprises: [
    {
      id: 'e1',
      name: '企业',
      region: 'r',
      outlets: [
        {
          id: 'o1',
          name: '排口1',
          medium: 'gas',
          sourceType: 'coal-boiler',
          gateway: { mn: MN, password: PW, protocol: 'hj212-tcp' },
          pollutants: [{ code: 'a21026', unit: 'mg/m3' }],
        },
        {
          id: 'o2',
          name: '排口2',
          medium: 'gas',
          sourceType: 'coal-boiler',
          gateway: { mn: MN_LENIENT, password: PW, protocol: 'hj212-tcp', crcPolicy: 'lenient' },
          pollutants: [{ code: 'a21026', unit: 'mg/m3' }],
        },
      ],
    },
  ],
});

interface Harness {
  handler: ReturnType<typeof createHj212FrameHandler>;
  accepted: Reading[];
  rejected: ErrorCode[];
  sent: string[];
  session: Hj212Session;
  metrics: ReturnType<typeof createIngestMetrics>;
  setOutcome(o: AcceptOutcome): void;
}

function harness(config: Record<string, unknown> = {}, session: Partial<Hj212Session> = {}): Harness {
  const accepted: Reading[] = [];
  const rejected: ErrorCode[] = [];
  const sent: string[] = [];
  let outcome: AcceptOutcome = { ok: true, points: 1 };
  const intake: Intake = {
    accept: async (reading) => {
      accepted.push(reading);
      return outcome;
    },
    reject: (code) => {
      rejected.push(code);
    },
    deviceState: async () => {},
    onReading: () => () => {},
  };
  const metrics = createIngestMetrics();
  const handler = createHj212FrameHandler({
    registry,
    intake,
    metrics,
    log: createLogger({ level: 'silent' }),
    clock: { now: () => NOW },
    config: Hj212Config.parse(config),
  });
  return {
    handler,
    accepted,
    rejected,
    sent,
    metrics,
    session: {
      transport: 'hj212-tcp',
      send: async (frame) => {
        sent.push(frame);
      },
      ...session,
    },
    setOutcome: (o) => {
      outcome = o;
    },
  };
}

function upload(
  opts: { cn?: string; mn?: string; pw?: string; flag?: number; dataTime?: string; qn?: string } = {},
) {
  return buildFrame(
    {
      qn: opts.qn ?? '20261123100000123',
      st: '31',
      cn: opts.cn ?? '2011',
      pw: opts.pw ?? PW,
      mn: opts.mn ?? MN,
      flag: opts.flag ?? 5,
    },
    [
      [['DataTime', opts.dataTime ?? '20261123100000']],
      [
        ['a21026-Rtd', '12.5'],
        ['a21026-Flag', 'N'],
      ],
    ],
  );
}

/** The same frame with its CRC replaced by the MODBUS low-byte-first variant (hj212.md §2.2). */
function withModbusCrc(frame: string): string {
  const segment = frame.slice(6, -6);
  return `${frame.slice(0, -6)}${modbusCrcLowFirst(Buffer.from(segment))}\r\n`;
}

async function metricValue(h: Harness, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await h.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = metric?.values.find((v) =>
    Object.entries(labels).every(([k, want]) => v.labels[k] === want),
  );
  return sample?.value ?? 0;
}

describe('HJ 212 frame handler', () => {
  it('stores a real-time upload and then answers 9014 echoing its QN (ST=91, Flag=4, valid CRC)', async () => {
    const h = harness();
    const result = await h.handler.handle(Buffer.from(upload()), h.session);
    expect(result.disposition).toBe('stored');
    expect(h.accepted).toHaveLength(1);
    expect(h.accepted[0]).toMatchObject({ mn: MN, kind: 'rtd', source: 'hj212-tcp', crc: 'ok' });
    expect(h.accepted[0]?.values).toEqual([{ code: 'a21026', rtd: 12.5, flag: 'N' }]);
    expect(h.sent).toHaveLength(1);
    const ack = decodeFrame(h.sent[0] as string);
    expect(ack.ok && ack.packet.header).toMatchObject({
      qn: '20261123100000123',
      st: '91',
      cn: '9014',
      flag: 4,
      mn: MN,
    });
    expect(ack.ok && ack.packet.crc).toBe('ok');
  });

  it('does not answer when the spool could not store the reading (retry) and reports withhold', async () => {
    const h = harness();
    h.setOutcome({ ok: false, code: 'SPOOL_WRITE_FAILED', reason: 'disk', retry: true });
    const result = await h.handler.handle(upload(), h.session);
    expect(result.disposition).toBe('withhold');
    expect(h.sent).toEqual([]);
    expect(await metricValue(h, 'emissions_hj212_acks_withheld_total', {})).toBe(1);
  });

  it('no ack without Flag.A', async () => {
    const h = harness();
    await h.handler.handle(upload({ flag: 4 }), h.session);
    expect(h.accepted).toHaveLength(1);
    expect(h.sent).toEqual([]);
  });

  it('strict: a bad CRC is dropped without a reply and counted', async () => {
    const h = harness();
    const frame = upload();
    const bad = `${frame.slice(0, -6)}0000\r\n`;
    const result = await h.handler.handle(bad, h.session);
    expect(result.disposition).toBe('dropped');
    expect(h.accepted).toEqual([]);
    expect(h.sent).toEqual([]);
    expect(h.rejected).toEqual(['ING_HJ212_CRC']);
    expect(await metricValue(h, 'emissions_hj212_crc_total', { verdict: 'bad', action: 'dropped' })).toBe(1);
  });

  it('strict drops the MODBUS variant; lenient (config or per device) stores it marked crc=modbus', async () => {
    const strict = harness();
    await strict.handler.handle(withModbusCrc(upload()), strict.session);
    expect(strict.accepted).toEqual([]);
    expect(
      await metricValue(strict, 'emissions_hj212_crc_total', { verdict: 'modbus', action: 'dropped' }),
    ).toBe(1);

    const lenient = harness({ crcPolicy: 'lenient' });
    await lenient.handler.handle(withModbusCrc(upload()), lenient.session);
    expect(lenient.accepted[0]?.crc).toBe('modbus');
    expect(lenient.sent).toHaveLength(1);

    const perDevice = harness();
    await perDevice.handler.handle(withModbusCrc(upload({ mn: MN_LENIENT })), perDevice.session);
    expect(perDevice.accepted[0]?.crc).toBe('modbus');
    expect(
      await metricValue(perDevice, 'emissions_hj212_crc_total', { verdict: 'modbus', action: 'accepted' }),
    ).toBe(1);
  });

  it('off: a wrong CRC is accepted and marked unchecked', async () => {
    const h = harness({ crcPolicy: 'off' });
    await h.handler.handle(`${upload().slice(0, -6)}ABCD\r\n`, h.session);
    expect(h.accepted[0]?.crc).toBe('unchecked');
  });

  it('unknown MN → 9011 QnRtn=4, wrong PW → 9011 QnRtn=3; nothing stored', async () => {
    const h = harness();
    await h.handler.handle(upload({ mn: 'FFFF00000000000000000000' }), h.session);
    await h.handler.handle(upload({ pw: 'wrong-pw' }), h.session);
    expect(h.accepted).toEqual([]);
    expect(h.rejected).toEqual(['ING_AUTH_UNKNOWN_DEVICE', 'ING_AUTH_BAD_PASSWORD']);
    const answers = h.sent.map((f) => {
      const d = decodeFrame(f);
      return d.ok ? [d.packet.header.cn, findCpValue(d.packet.cp, 'QnRtn')] : [];
    });
    expect(answers).toEqual([
      ['9011', '4'],
      ['9011', '3'],
    ]);
  });

  it('MQTT: a frame whose MN differs from the topic MN is refused with a notice', async () => {
    const notices: string[] = [];
    const h = harness(
      {},
      {
        transport: 'mqtt',
        topicMn: MN_LENIENT,
        notice: async (code) => {
          notices.push(code);
        },
      },
    );
    const result = await h.handler.handle(upload(), h.session);
    expect(result.disposition).toBe('dropped');
    expect(notices).toEqual(['ING_HJ212_MN_MISMATCH']);
    expect(h.sent).toEqual([]);
  });

  it('1013 → 9013; with clock setting on, also 1012 SystemTime (at most once a minute per device)', async () => {
    const off = harness();
    await off.handler.handle(upload({ cn: '1013' }), off.session);
    expect(off.sent.map((f) => f.slice(6, 60))).toEqual([expect.stringContaining('CN=9013')]);

    const on = harness({ clock: { setClock: true } });
    await on.handler.handle(upload({ cn: '1013' }), on.session);
    await on.handler.handle(upload({ cn: '1013', qn: '20261123100000999' }), on.session);
    const cns = on.sent.map((f) => /CN=(\d+)/.exec(f)?.[1]);
    expect(cns).toEqual(['9013', '1012', '9013']);
    const set = decodeFrame(on.sent[1] as string);
    expect(set.ok && findCpValue(set.packet.cp, 'SystemTime')).toBe('20261123100030');
    expect(set.ok && set.packet.header.pw).toBe(PW);
  });

  it('clock drift of real-time data is counted; 1012 only when enabled and once per interval', async () => {
    const h = harness({ clock: { setClock: true } });
    await h.handler.handle(upload({ dataTime: '20261123090000' }), h.session);
    await h.handler.handle(upload({ dataTime: '20261123090100', qn: '20261123090100000' }), h.session);
    expect(await metricValue(h, 'emissions_hj212_clock_drift_total', {})).toBe(2);
    expect(h.sent.map((f) => /CN=(\d+)/.exec(f)?.[1])).toEqual(['1012', '9014', '9014']);
    expect(h.accepted).toHaveLength(2);
  });

  it('heartbeats and replies are counted and ignored; 2081 is acknowledged but not stored', async () => {
    const h = harness();
    expect((await h.handler.handle(upload({ cn: '9015' }), h.session)).disposition).toBe('ignored');
    expect((await h.handler.handle(upload({ cn: '9021' }), h.session)).disposition).toBe('ignored');
    const restart = buildFrame({ qn: '20261123100000124', st: '31', cn: '2081', pw: PW, mn: MN, flag: 5 }, [
      [['DataTime', '20261123100000']],
      [['RestartTime', '20261123095500']],
    ]);
    expect((await h.handler.handle(restart, h.session)).disposition).toBe('answered');
    expect(h.accepted).toEqual([]);
    expect(h.sent.map((f) => /CN=(\d+)/.exec(f)?.[1])).toEqual(['9014']);
    expect(await metricValue(h, 'emissions_hj212_frames_total', { class: 'heartbeat' })).toBe(2);
    expect(await metricValue(h, 'emissions_hj212_frames_total', { class: 'not_stored' })).toBe(1);
  });

  it('invalid DataTime: refused, counted, still answered (a resend cannot fix it)', async () => {
    const h = harness();
    const result = await h.handler.handle(upload({ dataTime: '2026112' }), h.session);
    expect(result.disposition).toBe('refused');
    expect(h.rejected).toEqual(['ING_DATATIME_INVALID']);
    expect(h.sent).toHaveLength(1);
  });

  it('split uploads: every sub-packet stored and acknowledged with its own QN; completion counted', async () => {
    const h = harness();
    const frames = encodeUpload(
      {
        st: '31',
        cn: '2011',
        mn: MN,
        dataTime: new Date('2026-11-23T10:00:00+08:00'),
        values: [
          { code: 'a21026', rtd: 1.5, flag: 'N' },
          { code: 'a21002', rtd: 2.5, flag: 'N' },
          { code: 'a34013', rtd: 3.5, flag: 'N' },
        ],
      },
      { qn: '20261123100000000', pw: PW, zone: ZONE, maxSegmentBytes: 150 },
    );
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) await h.handler.handle(f, h.session);
    expect(h.accepted.flatMap((r) => r.values.map((v) => v.code)).sort()).toEqual([
      'a21002',
      'a21026',
      'a34013',
    ]);
    const ackQns = h.sent.map((f) => /QN=(\d+)/.exec(f)?.[1]);
    expect(ackQns).toEqual(frames.map((f) => /QN=(\d+)/.exec(f)?.[1]));
    expect(await metricValue(h, 'emissions_hj212_split_uploads_total', { outcome: 'complete' })).toBe(1);
    // A late retransmission of a sub-packet is stored (idempotent) and acked, but opens no new split.
    await h.handler.handle(frames[0] as string, h.session);
    h.handler.stop();
    expect(await metricValue(h, 'emissions_hj212_split_uploads_total', { outcome: 'incomplete' })).toBe(0);
  });

  it('garbage that is not a frame is counted, not answered', async () => {
    const h = harness();
    const result = await h.handler.handle(encodeFrame('QN=1;ST=31;CP=&&&&'), h.session);
    expect(result.disposition).toBe('dropped');
    expect(h.rejected).toEqual(['ING_HJ212_HEADER']);
  });
});

describe('classifyPacket', () => {
  const classOf = (frame: string) => {
    const d = decodeFrame(frame, { crcPolicy: 'off' });
    if (!d.ok) throw new Error(d.reason);
    return classifyPacket(d.packet);
  };
  it.each([
    ['2011', 'data'],
    ['2051', 'data'],
    ['2061', 'data'],
    ['2031', 'data'],
    ['2021', 'data'],
    ['2041', 'data'],
    ['3020', 'not_stored'],
    ['1013', 'notification'],
    ['9014', 'reply'],
    ['9015', 'heartbeat'],
    ['8051', 'unknown'],
  ])('CN %s → %s', (cn, want) => expect(classOf(upload({ cn }))).toBe(want));

  it('a data CN without DataTime is a request, ST=91 a reply', () => {
    expect(classOf(buildFrame({ qn: '1', st: '31', cn: '2011', pw: PW, mn: MN, flag: 5 }, []))).toBe(
      'request',
    );
    expect(classOf(buildFrame({ qn: '1', st: '91', cn: '2011', pw: PW, mn: MN, flag: 4 }, []))).toBe('reply');
  });
});
