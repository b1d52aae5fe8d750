import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry, type RegistryFile } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { buildFrame, decodeFrame, Hj212StreamFramer } from '../../ingest/hj212/index.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { generateRegistry } from '../../simulator/generate-registry.js';
import { readReportReadings } from '../../simulator/report.js';
import { createSimulation } from '../../simulator/simulation.js';
import { readMetric, startTestService } from '../support/service.js';

/**
 * HJ 212 edge cases with their own service settings: connection limits and idle timeout, a spool that
 * cannot store (no 9014), and HJ 212 frames over MQTT with the 9014 on the down topic.
 */
const DB = 'hj212edge';
const silent = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function registry(
  gateways: number,
  protocol: 'hj212-tcp' | 'hj212-mqtt',
): { file: string; doc: RegistryFile } {
  const doc = generateRegistry({ gateways, seed: 9 });
  for (const e of doc.enterprises) for (const o of e.outlets) o.gateway.protocol = protocol;
  const file = join(mkdtempSync(join(tmpdir(), 'hj212-edge-')), 'registry.yaml');
  writeFileSync(file, stringify(doc));
  return { file, doc };
}

function firstGateway(doc: RegistryFile) {
  const outlet = doc.enterprises[0]?.outlets[0];
  if (!outlet) throw new Error('empty registry');
  return {
    ...outlet.gateway,
    st: outlet.medium === 'gas' ? '31' : '32',
    code: outlet.pollutants[0]?.code as string,
  };
}

async function withInflux(): Promise<LocalInfluxd> {
  const influxd = await startLocalInfluxd();
  cleanups.push(() => influxd.stop());
  return influxd;
}

function open(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ...(localAddress && { localAddress }) });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
    cleanups.push(async () => s.destroy());
  });
}

/** Resolves when the peer closes the socket, with the bytes it sent before. */
function closedWith(s: Socket): Promise<string> {
  let data = '';
  s.on('data', (d: Buffer) => {
    data += d.toString('utf8');
  });
  return new Promise((resolve) => s.once('close', () => resolve(data)));
}

function framesFrom(s: Socket): { waitFor(n: number): Promise<string[]> } {
  const framer = new Hj212StreamFramer();
  const frames: string[] = [];
  let waiter: { n: number; resolve: (f: string[]) => void } | undefined;
  s.on('data', (chunk: Buffer) => {
    for (const out of framer.push(chunk)) if (out.type === 'frame') frames.push(out.frame.toString('utf8'));
    if (waiter && frames.length >= waiter.n) waiter.resolve(frames.slice());
  });
  return {
    waitFor: (n) =>
      frames.length >= n
        ? Promise.resolve(frames.slice())
        : new Promise((resolve) => {
            waiter = { n, resolve };
          }),
  };
}

describe('HJ 212 edge cases', () => {
  it('connection limits (total and per address) refuse politely; idle connections are closed', async () => {
    const influxd = await withInflux();
    const { file } = registry(2, 'hj212-tcp');
    const service = await startTestService({
      registryFile: file,
      influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
      env: {
        HJ212_TCP_MAX_CONNECTIONS: '3',
        HJ212_TCP_MAX_CONNECTIONS_PER_ADDRESS: '2',
        HJ212_TCP_IDLE_TIMEOUT_MS: '1500',
      },
    });
    cleanups.push(() => service.stop());
    const port = service.hj212TcpPort as number;
    const a1 = await open(port);
    const a2 = await open(port);
    // Third from the same address: closed by the centre at once (FIN), nothing sent.
    const a3 = await open(port);
    expect(await closedWith(a3)).toBe('');
    // Another loopback address still gets in (total 3) …
    const b1 = await open(port, '127.0.0.2');
    // … and the fourth connection overall is refused whatever its address.
    const c1 = await open(port, '127.0.0.3');
    expect(await closedWith(c1)).toBe('');
    expect(
      await readMetric(service.httpUrl, 'emissions_connections_refused_total', {
        reason: 'ING_HJ212_CONN_LIMIT',
      }),
    ).toBe(2);
    // The admitted ones are left alone until they idle out.
    const idleClosed = [closedWith(a1), closedWith(a2), closedWith(b1)];
    await Promise.all(idleClosed);
    expect(
      await readMetric(service.httpUrl, 'emissions_hj212_tcp_connections_closed_total', { reason: 'idle' }),
    ).toBe(3);
    expect(await readMetric(service.httpUrl, 'emissions_hj212_tcp_connections')).toBe(0);
  });

  it('spool cannot store: no 9014 (the gateway must retransmit), counted', async () => {
    const influxd = await withInflux();
    const { file, doc } = registry(1, 'hj212-tcp');
    const base = mkdtempSync(join(tmpdir(), 'hj212-ro-'));
    writeFileSync(join(base, 'file'), 'not a directory');
    const service = await startTestService({
      registryFile: file,
      influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
      env: { SPOOL_DIR: join(base, 'file', 'spool') },
    });
    cleanups.push(() => service.stop());
    const g = firstGateway(doc);
    const s = await open(service.hj212TcpPort as number);
    const replies = framesFrom(s);
    const data = buildFrame(
      { qn: '20261123100000001', st: g.st, cn: '2011', pw: g.password, mn: g.mn, flag: 5 },
      [
        [['DataTime', '20261123100000']],
        [
          [`${g.code}-Rtd`, '1.5'],
          [`${g.code}-Flag`, 'N'],
        ],
      ],
    );
    // The 1013 after it is answered (9013) once the data frame has been handled: the connection is in order.
    const marker = buildFrame(
      { qn: '20261123100000002', st: g.st, cn: '1013', pw: g.password, mn: g.mn, flag: 5 },
      [],
    );
    s.write(data + marker);
    const [first] = await replies.waitFor(1);
    const d = decodeFrame(first as string);
    expect(d.ok && [d.packet.header.cn, d.packet.header.qn]).toEqual(['9013', '20261123100000002']);
    expect(await readMetric(service.httpUrl, 'emissions_hj212_acks_withheld_total')).toBe(1);
    expect(await readMetric(service.httpUrl, 'emissions_hj212_replies_total', { cn: '9014' })).toBe(0);
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
        reason: 'SPOOL_WRITE_FAILED',
      }),
    ).toBe(1);
  });

  it('HJ 212 over MQTT: frames on emissions/{mn}/up, 9014 on emissions/{mn}/down; InfluxDB equals the ground truth', async () => {
    const influxd = await withInflux();
    const { file, doc } = registry(10, 'hj212-mqtt');
    const service = await startTestService({
      registryFile: file,
      influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
    });
    cleanups.push(() => service.stop());
    const reportPath = join(mkdtempSync(join(tmpdir(), 'hj212-mqtt-')), 'report.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry: loadRegistry(file),
        intervalSec: 60,
        speed: 'max',
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 3600,
        seed: 3,
        reportPath,
        minAckTimeoutMs: 30_000,
      },
      { log: silent },
    );
    cleanups.push(() => sim.stop());
    await sim.start();
    const summary = await sim.done;
    await service.flush();
    const readings = await readReportReadings(reportPath);
    expect(readings).toHaveLength(10 * 67);
    expect(readings.every((r) => r.acked && r.protocol === 'hj212-mqtt')).toBe(true);
    expect(summary.acked).toBe(10 * 67);
    for (const [kind, measurement] of [
      ['rtd', 'emission_rtd'],
      ['minute', 'emission_minute'],
      ['hour', 'emission_hour'],
    ] as const) {
      const expected = new Map<string, number>();
      for (const r of readings) {
        if (r.kind !== kind) continue;
        for (const [code, v] of Object.entries(r.values)) {
          expected.set(
            `${r.mn}|${code}|${Date.parse(r.dataTime)}`,
            (kind === 'rtd' ? v.rtd : v.avg) as number,
          );
        }
      }
      const rows = seriesRows(
        await influxQueryOne({ url: influxd.url, db: DB }, `SELECT value, mn, pollutant FROM ${measurement}`),
      );
      expect(rows.length, measurement).toBe(expected.size);
      for (const row of rows)
        expect(row.value, measurement).toBe(expected.get(`${row.mn}|${row.pollutant}|${row.time}`));
    }

    // A hand-made frame: the 9014 arrives on the down topic; a frame naming another MN is refused.
    const g = firstGateway(doc);
    const other = doc.enterprises.flatMap((e) => e.outlets)[1]?.gateway.mn as string;
    const client = await mqtt.connectAsync(service.mqttUrl, {
      username: g.mn,
      password: g.password,
      reconnectPeriod: 0,
    });
    cleanups.push(() => client.endAsync(true));
    const down: string[] = [];
    let wake: () => void = () => {};
    client.on('message', (_topic, payload) => {
      down.push(payload.toString('utf8'));
      wake();
    });
    await client.subscribeAsync(`emissions/${g.mn}/down`, { qos: 1 });
    const next = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (down.length >= n) resolve();
        };
        wake();
      });
    const frame = (mn: string, qn: string) =>
      buildFrame({ qn, st: g.st, cn: '2011', pw: g.password, mn, flag: 5 }, [
        [['DataTime', '20261124100000']],
        [[`${g.code}-Rtd`, '2.5']],
      ]);
    await client.publishAsync(`emissions/${g.mn}/up`, frame(g.mn, '20261124100000001'), { qos: 1 });
    await next(1);
    const ack = decodeFrame(down[0] as string);
    expect(ack.ok && ack.packet.header).toMatchObject({
      cn: '9014',
      st: '91',
      qn: '20261124100000001',
      mn: g.mn,
      flag: 4,
    });
    await client.publishAsync(`emissions/${g.mn}/up`, frame(other, '20261124100000002'), { qos: 1 });
    await next(2);
    expect(JSON.parse(down[1] as string)).toMatchObject({ type: 'rejected', code: 'ING_HJ212_MN_MISMATCH' });
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
        reason: 'ING_HJ212_MN_MISMATCH',
      }),
    ).toBe(1);
  });
});
