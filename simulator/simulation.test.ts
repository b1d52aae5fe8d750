import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../config/registry.js';
import { isPipelineError } from '../core/errors.js';
import { createSimulation, selectEntries } from './simulation.js';

const park = loadRegistry(fileURLToPath(new URL('../config/examples/park.yaml', import.meta.url)));
const log = pino({ level: 'silent' });

/** A loopback port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createSimulation (no broker needed)', () => {
  it('selects devices by MN or outlet id and rejects unknown ones', () => {
    expect(selectEntries(park, undefined)).toHaveLength(10);
    const picked = selectEntries(park, ['hn-power-unit2', '330100W0010000000000E001']);
    expect(picked.map((e) => e.outlet.id)).toEqual(['hn-power-unit2', 'bj-wwtp-main']);
    expect(() => selectEntries(park, ['hn-power-unit2', 'ghost', 'spook'])).toThrowError(/ghost, spook/);
  });

  it('validates options, listing every problem', () => {
    try {
      createSimulation(
        {
          brokerUrl: 'mqtt://127.0.0.1:1',
          registry: park,
          intervalSec: 0,
          speed: -1,
          seed: 1.5,
          maxInFlight: 0,
        },
        { log },
      );
      expect.unreachable();
    } catch (err) {
      expect(isPipelineError(err, 'CFG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/intervalSec[\s\S]*speed[\s\S]*seed[\s\S]*maxInFlight/);
    }
  });

  it('stop() before start() resolves done with an empty summary', async () => {
    const sim = createSimulation({ brokerUrl: 'mqtt://127.0.0.1:1', registry: park }, { log });
    await sim.stop();
    const summary = await sim.done;
    expect(summary).toMatchObject({ gateways: 10, published: 0, acked: 0 });
    await sim.start(); // no-op after stop
  });

  it('counts gateways that cannot reach the broker within the deadline, and still finishes', async () => {
    const port = await closedPort();
    const reportPath = join(mkdtempSync(join(tmpdir(), 'sim-unit-')), 'r.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: `mqtt://127.0.0.1:${port}`,
        registry: park,
        devices: ['hn-power-unit1', 'hn-power-unit2'],
        durationSec: 600,
        speed: 'max',
        connectTimeoutMs: 300,
        reconnectPeriodMs: 50,
        reportPath,
      },
      { log },
    );
    await sim.start();
    const summary = await sim.done;
    expect(summary).toMatchObject({ gateways: 2, connected: 0, failedConnections: 2, generated: 0 });
    expect(Object.values(summary.perGateway).map((g) => g.failure)).toEqual(['unreachable', 'unreachable']);
    const lines = readFileSync(reportPath, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ type: 'summary', failedConnections: 2 });
  });

  it('stop() during the first connection attempt does not wait for the connect deadline', async () => {
    const port = await closedPort();
    const sim = createSimulation(
      {
        brokerUrl: `mqtt://127.0.0.1:${port}`,
        registry: park,
        connectTimeoutMs: 60_000,
        reconnectPeriodMs: 50,
      },
      { log },
    );
    const started = sim.start();
    const t0 = Date.now();
    await sim.stop();
    await started;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await sim.done).failedConnections).toBe(10);
  });
});
