import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { connect } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry, type Registry, type RegistryFile } from '../../config/registry.js';
import { parseFlexibleTime } from '../../core/local-time.js';
import { generateRegistry } from '../../simulator/generate-registry.js';
import {
  type ReportLine,
  type ReportReadingLine,
  type ReportSummaryLine,
  readReport,
} from '../../simulator/report.js';
import { parseScenario } from '../../simulator/scenario.js';
import { createSimulation, type SimulationOptions } from '../../simulator/simulation.js';
import type { WirePayload } from '../../simulator/wire.js';

/**
 * Runs virtual gateways against a real in-process aedes broker on loopback that authenticates every
 * gateway with username = MN and the registry password, and checks the ground-truth report against what
 * actually crossed the broker.
 */

const park = loadRegistry(fileURLToPath(new URL('../../config/examples/park.yaml', import.meta.url)));
const log = pino({ level: 'silent' });
const START = new Date('2026-11-23T10:00:00+08:00');

interface UpMessage {
  mn: string;
  payload: WirePayload;
}
interface StateMessage {
  mn: string;
  state: string;
  retain: boolean;
}

interface TestBroker {
  url: string;
  up: UpMessage[];
  states: StateMessage[];
  clients: Map<string, Client>;
  /** Resolves once `n` up messages have arrived. */
  upCount(n: number): Promise<void>;
  close(): Promise<void>;
}

async function startBroker(registries: readonly Registry[]): Promise<TestBroker> {
  const passwords = new Map<string, string>();
  for (const r of registries) for (const e of r.entries()) passwords.set(e.gateway.mn, e.gateway.password);
  const broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      if (username !== undefined && passwords.get(username) === password?.toString('utf8'))
        return done(null, true);
      // 4 = BAD_USERNAME_OR_PASSWORD (a const enum in aedes' types, not importable as a value).
      done(
        Object.assign(new Error('bad username or password'), { returnCode: 4 }) as AuthenticateError,
        null,
      );
    },
  });
  const up: UpMessage[] = [];
  const states: StateMessage[] = [];
  const clients = new Map<string, Client>();
  const waiters: { n: number; resolve: () => void }[] = [];
  broker.on('clientReady', (c) => clients.set(c.id, c));
  broker.on('publish', (packet) => {
    const m = /^emissions\/([^/]+)\/(up|state)$/.exec(packet.topic);
    if (!m?.[1]) return;
    if (m[2] === 'up') {
      up.push({ mn: m[1], payload: JSON.parse(packet.payload.toString('utf8')) as WirePayload });
      for (const w of waiters.filter((x) => up.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    } else {
      states.push({ mn: m[1], state: packet.payload.toString('utf8'), retain: packet.retain });
    }
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    up,
    states,
    clients,
    upCount: (n) =>
      up.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Retained messages under emissions/+/state, as a fresh subscriber sees them. */
async function retainedStates(url: string, expected: number): Promise<Map<string, string>> {
  const client = connect(url, {
    username: 'observer',
    password: 'observer-pw',
    clientId: 'observer',
    reconnectPeriod: 0,
  });
  const out = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.on('message', (topic, payload, packet) => {
        const mn = topic.split('/')[1];
        if (packet.retain && mn) out.set(mn, payload.toString('utf8'));
        if (out.size >= expected) resolve();
      });
      client.on('connect', () => client.subscribe('emissions/+/state', { qos: 1 }));
    });
  } finally {
    await client.endAsync();
  }
  return out;
}

async function readAll(path: string): Promise<{ readings: ReportReadingLine[]; summary: ReportSummaryLine }> {
  const lines: ReportLine[] = [];
  for await (const line of readReport(path)) lines.push(line);
  const summary = lines.at(-1);
  if (summary?.type !== 'summary') throw new Error('report must end with a summary line');
  expect(lines.slice(0, -1).every((l) => l.type === 'reading')).toBe(true);
  return { readings: lines.filter((l): l is ReportReadingLine => l.type === 'reading'), summary };
}

const key = (mn: string, utcIso: string) => `${mn}|${utcIso}`;

function withPassword(file: RegistryFile, mn: string, password: string): Registry {
  const copy = structuredClone(file) as RegistryFile;
  for (const e of copy.enterprises)
    for (const o of e.outlets) if (o.gateway.mn === mn) o.gateway = { ...o.gateway, password };
  return parseRegistry(copy);
}

describe('simulator against an in-process aedes broker', () => {
  let dir: string;
  const observer = parseRegistry({
    version: 1,
    enterprises: [
      {
        id: 'observer',
        name: 'observer',
        region: 'test',
        outlets: [
          {
            id: 'observer',
            name: 'observer',
            medium: 'gas',
            sourceType: 'gas-boiler',
            gateway: { mn: 'observer', password: 'observer-pw' },
            pollutants: [{ code: 'a21026', unit: 'mg/m3' }],
          },
        ],
      },
    ],
  });
  let broker: TestBroker | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-int-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('publishes exactly what the report says was acked; state online/offline; a wrong password fails alone', async () => {
    broker = await startBroker([park, observer]);
    const entries = park.entries();
    const good = entries.slice(0, 5).map((e) => e.gateway.mn);
    const bad = entries[5]?.gateway.mn ?? '';
    // The simulator's copy of the registry has a wrong password for the sixth gateway.
    const registry = withPassword(park.file as RegistryFile, bad, 'wrong-password');
    const reportPath = join(dir, 'run1.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: broker.url,
        registry,
        devices: [...good, bad],
        intervalSec: 60,
        speed: 1800,
        start: START,
        durationSec: 30 * 60,
        seed: 1,
        reportPath,
      },
      { log },
    );
    await sim.start();
    const summary = await sim.done;
    await sim.stop(); // idempotent after completion

    const report = await readAll(reportPath);
    expect(report.summary).toEqual({ type: 'summary', ...summary });
    expect(summary).toMatchObject({
      gateways: 6,
      connected: 5,
      failedConnections: 1,
      published: 150,
      acked: 150,
      notAcked: 0,
    });
    expect(summary.perGateway[bad]?.failure).toMatch(/^refused: /);
    expect(summary.perGateway[bad]?.generated).toBe(0);
    // 29 intervals at 1800× take ≈ 0.97 s of wall time: the schedule is kept, not rushed.
    expect(summary.wallMs).toBeGreaterThanOrEqual(900);

    // The report's acked readings and the broker's messages match one by one.
    expect(report.readings).toHaveLength(150);
    expect(report.readings.every((r) => r.acked && r.published)).toBe(true);
    expect(broker.up).toHaveLength(150);
    const received = new Map(
      broker.up.map((m) => {
        const utc = parseFlexibleTime(m.payload.dataTime, park.timeZone)?.toISOString() ?? 'invalid';
        return [key(m.mn, utc), m.payload] as const;
      }),
    );
    expect(received.size).toBe(150);
    for (const r of report.readings) {
      const p = received.get(key(r.mn, r.dataTime));
      expect(p, `${r.mn} ${r.dataTime}`).toBeDefined();
      expect(p?.values).toEqual(r.values);
      expect(p).toMatchObject({ st: r.st, cn: '2011' });
      expect(p?.dataTime).toMatch(/^2026-11-23T1\d:\d\d:00\+08:00$/);
    }
    for (const mn of good) {
      const times = report.readings.filter((r) => r.mn === mn).map((r) => Date.parse(r.dataTime));
      expect(times.sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, k) => START.getTime() + k * 60_000),
      );
    }

    // State: online then offline, retained, for each connected gateway; nothing from the refused one.
    for (const mn of good) {
      expect(broker.states.filter((s) => s.mn === mn)).toEqual([
        { mn, state: 'online', retain: true },
        { mn, state: 'offline', retain: true },
      ]);
    }
    expect(broker.states.some((s) => s.mn === bad)).toBe(false);
    const retained = await retainedStates(broker.url, good.length);
    expect(Object.fromEntries(retained)).toEqual(Object.fromEntries(good.map((mn) => [mn, 'offline'])));
  });

  it('gives each gateway the same data whatever subset runs; scenario gaps are listed, not sent', async () => {
    broker = await startBroker([park]);
    const target = park.entries()[1];
    if (!target) throw new Error('park.yaml has two power units');
    const scenario = parseScenario(
      {
        rules: [
          {
            outlet: target.outlet.id,
            code: '*',
            from: '2026-11-23T10:10:00+08:00',
            to: '2026-11-23T10:15:00+08:00',
            drop: true,
          },
          {
            outlet: target.outlet.id,
            code: 'a21026',
            from: '2026-11-23T10:20:00+08:00',
            to: '2026-11-23T10:30:00+08:00',
            value: 120,
            flag: 'N',
          },
        ],
      },
      { timeZone: park.timeZone, registry: park },
    );
    const base: Omit<SimulationOptions, 'brokerUrl'> = {
      registry: park,
      intervalSec: 60,
      speed: 'max',
      start: START,
      durationSec: 3600,
      seed: 11,
      scenario,
    };
    const url = broker.url;
    const run = async (name: string, devices?: string[]) => {
      const reportPath = join(dir, `${name}.jsonl`);
      const sim = createSimulation(
        { ...base, brokerUrl: url, reportPath, ...(devices && { devices }) },
        { log },
      );
      await sim.start();
      await sim.done;
      return readAll(reportPath);
    };
    const all = await run('all');
    const one = await run('one', [target.outlet.id]);
    const pick = (r: { readings: ReportReadingLine[] }) =>
      r.readings.filter((l) => l.mn === target.gateway.mn).sort((a, b) => a.seq - b.seq);
    expect(all.summary.gateways).toBe(10);
    expect(one.summary.gateways).toBe(1);
    expect(pick(one)).toEqual(pick(all));
    expect(pick(one)).toHaveLength(60);

    const lines = pick(one);
    const gap = lines.filter((l) => !l.published);
    expect(gap.map((l) => l.seq)).toEqual([10, 11, 12, 13, 14]);
    expect(gap.every((l) => !l.acked && Object.keys(l.values).length === 0 && l.dropped?.length === 8)).toBe(
      true,
    );
    expect(lines.filter((l) => l.values.a21026?.rtd === 120).map((l) => l.seq)).toEqual([
      20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    ]);
    expect(one.summary).toMatchObject({ generated: 60, published: 55, acked: 55, dropped: 5 });
    // Nothing was sent for the gap: the broker saw 55 messages from the target in the second run.
    const sent = broker.up.filter((m) => m.mn === target.gateway.mn);
    expect(sent).toHaveLength(110);
    const gapTimes = new Set(gap.map((l) => l.dataTime));
    expect(
      sent.some((m) =>
        gapTimes.has(parseFlexibleTime(m.payload.dataTime, park.timeZone)?.toISOString() ?? ''),
      ),
    ).toBe(false);
  });

  it('reconnects after a lost connection, resends what was pending, and the broker publishes the Last Will', async () => {
    broker = await startBroker([park]);
    const [entry] = park.entries();
    if (!entry) throw new Error('empty park');
    const mn = entry.gateway.mn;
    const reportPath = join(dir, 'reconnect.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: broker.url,
        registry: park,
        devices: [mn],
        intervalSec: 60,
        speed: 3600,
        start: START,
        durationSec: 2 * 3600,
        seed: 2,
        reportPath,
        reconnectPeriodMs: 50,
      },
      { log },
    );
    await sim.start();
    await broker.upCount(20);
    // Cut the TCP connection from the broker's side: no DISCONNECT, so the Last Will fires.
    broker.clients.get(`gw-${mn}`)?.conn.destroy();
    const summary = await sim.done;

    expect(summary).toMatchObject({ published: 120, acked: 120, notAcked: 0, failedConnections: 0 });
    expect(summary.perGateway[mn]?.reconnects).toBeGreaterThanOrEqual(1);
    const states = broker.states.filter((s) => s.mn === mn).map((s) => s.state);
    expect(states.slice(0, 3)).toEqual(['online', 'offline', 'online']);
    expect(states.at(-1)).toBe('offline');
    // QoS 1 is at-least-once: every reading arrived, some maybe twice around the cut.
    const times = new Set(broker.up.map((m) => m.payload.dataTime));
    expect(times.size).toBe(120);
    const { readings } = await readAll(reportPath);
    expect(readings.filter((r) => r.acked)).toHaveLength(120);
  });

  it('stop() ends an open-ended run: pending readings reported, offline published, timers cleared', async () => {
    broker = await startBroker([park]);
    const devices = park
      .entries()
      .slice(0, 3)
      .map((e) => e.gateway.mn);
    const reportPath = join(dir, 'stop.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: broker.url,
        registry: park,
        devices,
        intervalSec: 60,
        speed: 600,
        start: START,
        seed: 3,
        reportPath,
      },
      { log },
    );
    await sim.start();
    await broker.upCount(9);
    await Promise.all([sim.stop(), sim.stop()]);
    const summary = await sim.done;
    expect(summary.generated).toBeGreaterThanOrEqual(9);
    expect(summary.acked + summary.notAcked).toBe(summary.published);
    const { readings, summary: last } = await readAll(reportPath);
    expect(readings).toHaveLength(summary.generated);
    expect(last.acked).toBe(summary.acked);
    for (const mn of devices) expect(broker.states.filter((s) => s.mn === mn).at(-1)?.state).toBe('offline');
  });

  it('runs a generated registry at speed max with a bounded in-flight window', async () => {
    const file = generateRegistry({ gateways: 50, seed: 4 });
    const registry = parseRegistry(file);
    broker = await startBroker([registry]);
    const sim = createSimulation(
      {
        brokerUrl: broker.url,
        registry,
        intervalSec: 60,
        speed: 'max',
        start: START,
        durationSec: 100 * 60,
        seed: 4,
        maxInFlight: 8,
      },
      { log },
    );
    await sim.start();
    const summary = await sim.done;
    expect(summary).toMatchObject({ gateways: 50, failedConnections: 0, published: 5000, acked: 5000 });
    expect(broker.up).toHaveLength(5000);
    expect(summary.ackedPerSec).toBeGreaterThan(500);
  });

  it("followClock: sends the past at once, then waits for each reading's own data time", async () => {
    broker = await startBroker([park]);
    const now = Date.now();
    const intervalSec = 2;
    // 30 readings in the past (60 s back), then 3 in the future, one every 2 s.
    const start = new Date(Math.floor(now / 2000) * 2000 - 60_000);
    const sim = createSimulation(
      {
        brokerUrl: broker.url,
        registry: park,
        devices: ['hn-power-unit1'],
        intervalSec,
        speed: 1,
        followClock: true,
        start,
        durationSec: 66,
        seed: 9,
      },
      { log },
    );
    await sim.start();
    await broker.upCount(30);
    const backfilledAt = Date.now();
    const summary = await sim.done;
    expect(summary.acked).toBe(33);
    // The backfill did not wait an interval per reading; the tail came in real time.
    expect(backfilledAt - now).toBeLessThan(30 * intervalSec * 1000);
    const last = parseFlexibleTime(broker.up.at(-1)?.payload.dataTime ?? '', park.timeZone)?.getTime() ?? 0;
    expect(Date.now()).toBeGreaterThanOrEqual(last);
    await sim.stop();
  });
});
