import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPipelineError } from '../../core/errors.js';
import { parseSimulateArgs } from '../../simulator/cli.js';
import { createSimulation } from '../../simulator/simulation.js';

/**
 * `emissions simulate --ambient`: the registry's ambient stations publish hourly ST=22 readings (CN 2061)
 * next to the gateways, and the example heavy-pollution scenario runs from the CLI flags
 * (parseSimulateArgs + createSimulation, the same path as the command) against a real aedes broker on
 * loopback that checks every station's MN and password.
 */
const park = fileURLToPath(new URL('../../config/examples/park.yaml', import.meta.url));
const scenario = fileURLToPath(
  new URL('../../config/examples/heavy-pollution-scenario.yaml', import.meta.url),
);
const received: { mn: string; st: string; cn: string; dataTime: string }[] = [];
let broker: Aedes;
let server: ReturnType<typeof createServer>;
let url: string;

beforeAll(async () => {
  broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      done(null, typeof username === 'string' && username.length > 0 && (password?.length ?? 0) > 0);
    },
  });
  broker.on('publish', (packet, client) => {
    if (!client || !packet.topic.endsWith('/up')) return;
    const body = JSON.parse(packet.payload.toString()) as { st: string; cn: string; dataTime: string };
    received.push({ mn: packet.topic.split('/')[1] ?? '', ...body });
  });
  server = createServer(broker.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
});

describe('simulate --ambient', () => {
  it('runs the example heavy-pollution scenario with the park’s ambient stations', async () => {
    const opts = parseSimulateArgs({
      registry: park,
      broker: url,
      scenario,
      start: '2026-01-09T00:00:00+08:00',
      duration: '1h',
      speed: 'max',
      ambient: '60,80,180,220,280',
      ambientStart: '2026-01-05',
    });
    expect(opts.ambient).toMatchObject({
      start: Date.parse('2026-01-05T00:00:00+08:00'),
      pm25: [60, 80, 180, 220, 280],
    });
    expect(opts.scenario?.rules.length).toBeGreaterThan(0);
    const sim = createSimulation(opts, { log: pino({ level: 'silent' }) });
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    const stations = opts.registry.stations();
    expect(stations.length).toBeGreaterThan(0);
    expect(summary.ambient).toEqual({ stations: stations.length, published: stations.length * 5 * 24 });
    expect(summary.notAcked).toBe(0);
    const ambient = received.filter((r) => r.st === '22');
    expect(ambient).toHaveLength(stations.length * 5 * 24);
    expect(new Set(ambient.map((r) => r.cn))).toEqual(new Set(['2061']));
    expect(new Set(ambient.map((r) => r.mn))).toEqual(new Set(stations.map((s) => s.gateway.mn)));
    expect(received.some((r) => r.st !== '22')).toBe(true); // the enterprises' gateways ran too
  }, 60_000);

  it('refuses a malformed --ambient plan', () => {
    try {
      parseSimulateArgs({ registry: park, ambient: '60,x' });
      expect.unreachable();
    } catch (err) {
      expect(isPipelineError(err, 'CFG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/--ambient/);
    }
  });
});
