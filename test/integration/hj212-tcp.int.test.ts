import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry, type RegistryFile } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import {
  buildFrame,
  decodeFrame,
  findCpValue,
  Hj212StreamFramer,
  modbusCrcLowFirst,
} from '../../ingest/hj212/index.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { generateRegistry } from '../../simulator/generate-registry.js';
import type { Hj212Quirk } from '../../simulator/hj212-quirks.js';
import { readReportReadings } from '../../simulator/report.js';
import { createSimulation } from '../../simulator/simulation.js';
import { readMetric, startTestService } from '../support/service.js';

/**
 * HJ 212 over TCP end to end: 200 simulated gateways (some with firmware quirks: 1-byte writes, sticky
 * frames, split packets, lower-case and MODBUS CRCs, 2005 frames) → the HJ 212 listener → InfluxDB 1.6.7,
 * compared value by value with the simulator's ground truth; then hand-made frames for the protocol's
 * edge cases, and a third-party sender (Debian's nc and socat).
 */
const GATEWAYS = 200;
const DB = 'hj212';
const silent = createLogger({ level: 'silent' });
let influxd: LocalInfluxd;
let service: Awaited<ReturnType<typeof startTestService>>;
let registryFile: string;
let doc: RegistryFile;
let port: number;

const gateway = (i: number) => {
  const outlet = doc.enterprises.flatMap((e) => e.outlets)[i];
  if (!outlet) throw new Error(`no gateway ${i}`);
  return outlet;
};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hj212-tcp-'));
  registryFile = join(dir, 'registry.yaml');
  doc = generateRegistry({ gateways: GATEWAYS, seed: 5 });
  for (const e of doc.enterprises) for (const o of e.outlets) o.gateway.protocol = 'hj212-tcp';
  // Gateway 0 runs MODBUS-CRC firmware and is configured lenient (registry override).
  gateway(0).gateway.crcPolicy = 'lenient';
  writeFileSync(registryFile, stringify(doc));
  influxd = await startLocalInfluxd();
  service = await startTestService({
    registryFile,
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
  });
  port = service.hj212TcpPort as number;
});

afterAll(async () => {
  await service?.stop();
  await influxd?.stop();
});

async function query(q: string) {
  return seriesRows(await influxQueryOne({ url: influxd.url, db: DB }, q));
}

/** A raw TCP client that collects the frames the centre sends back. */
function rawClient(): Promise<{
  socket: Socket;
  frames: string[];
  waitFor(n: number): Promise<string[]>;
  closed: Promise<void>;
}> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const framer = new Hj212StreamFramer();
    const frames: string[] = [];
    const waiters: { n: number; resolve: (f: string[]) => void }[] = [];
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (chunk) => {
      for (const out of framer.push(chunk)) if (out.type === 'frame') frames.push(out.frame.toString('utf8'));
      for (const w of [...waiters]) {
        if (frames.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(frames.slice());
        }
      }
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        frames,
        closed,
        waitFor: (n) =>
          frames.length >= n
            ? Promise.resolve(frames.slice())
            : new Promise((r) => {
                waiters.push({ n, resolve: r });
              }),
      }),
    );
  });
}

function upload(
  i: number,
  opts: { qn: string; dataTime: string; cn?: string; mn?: string; pw?: string; value?: string },
) {
  const g = gateway(i);
  const code = g.pollutants[0]?.code as string;
  return buildFrame(
    {
      qn: opts.qn,
      st: g.medium === 'gas' ? '31' : '32',
      cn: opts.cn ?? '2011',
      pw: opts.pw ?? g.gateway.password,
      mn: opts.mn ?? g.gateway.mn,
      flag: 5,
    },
    [
      [['DataTime', opts.dataTime]],
      [
        [`${code}-Rtd`, opts.value ?? '1.25'],
        [`${code}-Flag`, 'N'],
      ],
    ],
  );
}

/** A 1013 time-calibration request: always answered (9013), so it marks "everything before it is handled". */
function marker(i: number, qn: string) {
  const g = gateway(i);
  return buildFrame({ qn, st: '31', cn: '1013', pw: g.gateway.password, mn: g.gateway.mn, flag: 5 }, []);
}

function header(frame: string) {
  const d = decodeFrame(frame);
  if (!d.ok) throw new Error(`bad reply ${frame}: ${d.reason}`);
  return { ...d.packet.header, cp: d.packet.cp, crc: d.packet.crc };
}

describe('HJ 212 over TCP', () => {
  it('200 gateways (quirky firmware included): every A=1 frame gets one 9014; InfluxDB equals the ground truth', {
    timeout: 120_000,
  }, async () => {
    const quirks = new Map<string, Hj212Quirk[]>();
    const give = (from: number, to: number, ...q: Hj212Quirk[]) => {
      for (let i = from; i < to; i++) quirks.set(gateway(i).id, q);
    };
    give(0, 1, 'modbus-crc');
    give(1, 21, 'one-byte-writes');
    give(21, 41, 'sticky');
    give(41, 51, 'split');
    give(51, 61, 'lowercase-crc');
    give(61, 66, 'split', 'sticky', 'one-byte-writes');
    give(66, 71, 'hj212-2005');
    const reportPath = join(mkdtempSync(join(tmpdir(), 'hj212-report-')), 'report.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        hj212Tcp: { host: '127.0.0.1', port },
        registry: loadRegistry(registryFile),
        intervalSec: 60,
        speed: 'max',
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 3600,
        seed: 7,
        reportPath,
        quirks,
        // Generous: a retransmission here would mean a lost or wrong 9014, which the test must see.
        minAckTimeoutMs: 30_000,
      },
      { log: silent },
    );
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    await service.flush();

    const readings = await readReportReadings(reportPath);
    // Per gateway: 60 real-time, 6 minute (10-min MinInterval), 1 hour record.
    expect(readings).toHaveLength(GATEWAYS * 67);
    expect(summary).toMatchObject({ gateways: GATEWAYS, connected: GATEWAYS, failedConnections: 0 });
    const requested = readings.filter((r) => r.ackRequested);
    expect(requested).toHaveLength((GATEWAYS - 5) * 67);
    expect(requested.filter((r) => !r.acked)).toEqual([]);
    expect(readings.filter((r) => !r.ackRequested).every((r) => r.published && !r.acked)).toBe(true);
    for (const g of Object.values(summary.perGateway)) {
      expect(g).toMatchObject({ retransmissions: 0, unexpectedAcks: 0, badAcks: 0, refusals: 0 });
    }
    // Exactly one 9014 per frame that asked for one (split readings are several frames).
    const framesWithAck = requested.reduce((n, r) => n + (r.frames ?? 1), 0);
    expect(readings.some((r) => (r.frames ?? 1) > 1)).toBe(true);
    expect(await readMetric(service.httpUrl, 'emissions_hj212_replies_total', { cn: '9014' })).toBe(
      framesWithAck,
    );
    expect(
      await readMetric(service.httpUrl, 'emissions_hj212_crc_total', {
        verdict: 'modbus',
        action: 'accepted',
      }),
    ).toBe(67);

    for (const [kind, measurement] of [
      ['rtd', 'emission_rtd'],
      ['minute', 'emission_minute'],
      ['hour', 'emission_hour'],
    ] as const) {
      const expected = new Map<string, { value: number; min?: number; max?: number; flag: string }>();
      for (const r of readings) {
        if (r.kind !== kind || !r.published) continue;
        for (const [code, v] of Object.entries(r.values)) {
          const value = (kind === 'rtd' ? v.rtd : v.avg) as number;
          expected.set(`${r.mn}|${code}|${Date.parse(r.dataTime)}`, {
            value,
            flag: v.flag,
            ...(v.min !== undefined && { min: v.min }),
            ...(v.max !== undefined && { max: v.max }),
          });
        }
      }
      const rows = await query(`SELECT * FROM ${measurement}`);
      expect(rows.length, measurement).toBe(expected.size);
      for (const row of rows) {
        const key = `${row.mn}|${row.pollutant}|${row.time}`;
        const want = expected.get(key);
        expect(want, key).toBeDefined();
        const got: Record<string, unknown> = { value: row.value, flag: row.flag };
        if (want?.min !== undefined) got.min = row.min;
        if (want?.max !== undefined) got.max = row.max;
        expect(got, key).toEqual(want);
      }
    }
    expect(
      await readMetric(service.httpUrl, 'emissions_gateways_connected', { transport: 'hj212-tcp' }),
    ).toBe(0);
    // Online at the first authenticated frame of each connection, offline at its close.
    const states = await query(`SELECT count(online) FROM device_state WHERE transport = 'hj212-tcp'`);
    expect(Number(states[0]?.count)).toBeGreaterThanOrEqual(GATEWAYS);
    const framesWithoutAck = readings.filter((r) => !r.ackRequested).reduce((n, r) => n + (r.frames ?? 1), 0);
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_received_total', { transport: 'hj212-tcp' }),
    ).toBe(framesWithAck + framesWithoutAck);
  });

  it('a third-party sender (Debian nc and socat) gets the right 9014 back', async () => {
    const frame = upload(3, { qn: '20261124100000001', dataTime: '20261124100000' });
    const run = (cmd: string, args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString('utf8');
        });
        child.once('error', reject);
        child.once('exit', () => resolve(out));
        child.stdin.end(frame);
      });
    // -N: shut down the sending side at EOF; the centre answers, then closes.
    const viaNc = await run('nc', ['-N', '127.0.0.1', String(port)]);
    const viaSocat = await run('socat', ['-t', '5', '-', `TCP:127.0.0.1:${port}`]);
    const g = gateway(3).gateway;
    const want = buildFrame(
      { qn: '20261124100000001', st: '91', cn: '9014', pw: g.password, mn: g.mn, flag: 4 },
      [],
    );
    expect(viaNc).toBe(want);
    expect(viaSocat).toBe(want);
  });

  it('a retransmitted frame is acknowledged each time and stored once', async () => {
    const c = await rawClient();
    const frame = upload(4, { qn: '20261124110000001', dataTime: '20261124110000', value: '3.5' });
    c.socket.write(frame + frame + frame);
    const replies = await c.waitFor(3);
    expect(replies.map((r) => header(r).qn)).toEqual(Array(3).fill('20261124110000001'));
    await service.flush();
    const g = gateway(4);
    const rows = await query(
      `SELECT count(value) FROM emission_rtd WHERE mn = '${g.gateway.mn}' AND time = '2026-11-24T03:00:00Z'`,
    );
    expect(rows[0]?.count).toBe(1);
    c.socket.destroy();
  });

  it('strict: a bad CRC (and an unconfigured MODBUS CRC) is not stored, not answered, counted; lenient stores MODBUS', async () => {
    const dropped = await readMetric(service.httpUrl, 'emissions_hj212_crc_total', {
      verdict: 'bad',
      action: 'dropped',
    });
    const c = await rawClient();
    const good = upload(5, { qn: '20261124120000001', dataTime: '20261124120000' });
    const badCrc = `${good.slice(0, -6)}0000\r\n`;
    const modbus5 = (() => {
      const f = upload(5, { qn: '20261124120100001', dataTime: '20261124120100' });
      return `${f.slice(0, -6)}${modbusCrcLowFirst(Buffer.from(f.slice(6, -6)))}\r\n`;
    })();
    const modbus0 = (() => {
      const f = upload(0, { qn: '20261124120200001', dataTime: '20261124120200' });
      return `${f.slice(0, -6)}${modbusCrcLowFirst(Buffer.from(f.slice(6, -6)))}\r\n`;
    })();
    c.socket.write(badCrc + modbus5 + modbus0 + marker(5, '20261124120300001'));
    const replies = await c.waitFor(2);
    // Only the lenient gateway's MODBUS frame and the marker are answered.
    expect(replies.map((r) => [header(r).cn, header(r).qn])).toEqual([
      ['9014', '20261124120200001'],
      ['9013', '20261124120300001'],
    ]);
    expect(
      await readMetric(service.httpUrl, 'emissions_hj212_crc_total', { verdict: 'bad', action: 'dropped' }),
    ).toBe(dropped + 1);
    expect(
      await readMetric(service.httpUrl, 'emissions_hj212_crc_total', {
        verdict: 'modbus',
        action: 'dropped',
      }),
    ).toBeGreaterThanOrEqual(1);
    await service.flush();
    const strictRows = await query(
      `SELECT count(value) FROM emission_rtd WHERE mn = '${gateway(5).gateway.mn}' AND time >= '2026-11-24T04:00:00Z' AND time < '2026-11-24T05:00:00Z'`,
    );
    expect(strictRows).toEqual([]);
    const lenientRows = await query(
      `SELECT count(value) FROM emission_rtd WHERE mn = '${gateway(0).gateway.mn}' AND time = '2026-11-24T04:02:00Z'`,
    );
    expect(lenientRows[0]?.count).toBe(1);
    c.socket.destroy();
  });

  it('unknown MN → 9011 QnRtn=4, wrong PW → 9011 QnRtn=3; nothing stored, counted', async () => {
    const unknownBefore = await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
      reason: 'ING_AUTH_UNKNOWN_DEVICE',
    });
    const badPwBefore = await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
      reason: 'ING_AUTH_BAD_PASSWORD',
    });
    const c = await rawClient();
    c.socket.write(
      upload(6, { qn: '20261124130000001', dataTime: '20261124130000', mn: 'FFFFFFFF0000000000000001' }) +
        upload(6, { qn: '20261124130000002', dataTime: '20261124130000', pw: 'not-the-pw' }),
    );
    const replies = await c.waitFor(2);
    expect(
      replies.map((r) => [header(r).cn, header(r).st, header(r).qn, findCpValue(header(r).cp, 'QnRtn')]),
    ).toEqual([
      ['9011', '91', '20261124130000001', '4'],
      ['9011', '91', '20261124130000002', '3'],
    ]);
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
        reason: 'ING_AUTH_UNKNOWN_DEVICE',
      }),
    ).toBe(unknownBefore + 1);
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
        reason: 'ING_AUTH_BAD_PASSWORD',
      }),
    ).toBe(badPwBefore + 1);
    await service.flush();
    expect(await query(`SELECT count(value) FROM emission_rtd WHERE time = '2026-11-24T05:00:00Z'`)).toEqual(
      [],
    );
    c.socket.destroy();
  });

  it('garbage between frames and a frame over many 1-byte writes: framed, stored, answered', async () => {
    const c = await rawClient();
    const frame = upload(7, { qn: '20261124140000001', dataTime: '20261124140000' });
    c.socket.write('010000000006010400000014\r\nAT+PING\r\n##12');
    const bytes = Buffer.from(frame);
    for (let i = 0; i < bytes.length; i++) c.socket.write(bytes.subarray(i, i + 1));
    const [reply] = await c.waitFor(1);
    expect(header(reply as string)).toMatchObject({
      cn: '9014',
      qn: '20261124140000001',
      st: '91',
      flag: 4,
      crc: 'ok',
    });
    expect(await readMetric(service.httpUrl, 'emissions_hj212_garbage_bytes_total')).toBeGreaterThan(0);
    c.socket.destroy();
  });
});
