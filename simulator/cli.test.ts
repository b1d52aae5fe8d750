import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isPipelineError } from '../core/errors.js';
import { parseDuration, parseSimulateArgs, SIMULATE_FLAGS } from './cli.js';

const park = fileURLToPath(new URL('../config/examples/park.yaml', import.meta.url));

describe('parseDuration', () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['90m', 5400],
    ['1.5h', 5400],
    ['24h', 86_400],
    ['2d', 172_800],
  ])('%s → %d s', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each(['', '0', '-5m', '3w', 'h', '1e3'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('parseSimulateArgs', () => {
  it('applies defaults', () => {
    const o = parseSimulateArgs({ registry: park });
    expect(o).toMatchObject({ brokerUrl: 'mqtt://127.0.0.1:1883', intervalSec: 60, speed: 1, seed: 1 });
    expect(o.registry.entries()).toHaveLength(10);
    expect(o.start).toBeUndefined();
    expect(o.durationSec).toBeUndefined();
    expect(o.devices).toBeUndefined();
  });

  it('parses every flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    const scenario = join(dir, 's.yaml');
    writeFileSync(
      scenario,
      'rules:\n  - { outlet: hn-power-unit1, code: a21026, from: "2026-11-23T10:00:00", to: "2026-11-23T11:00:00", value: 99 }\n',
    );
    const o = parseSimulateArgs({
      broker: 'mqtt://127.0.0.1:2883',
      registry: park,
      interval: '30',
      speed: 'max',
      start: '2026-11-23T10:00:00',
      duration: '90m',
      devices: 'hn-power-unit1, 330100W0010000000000E001',
      seed: '7',
      scenario,
      report: join(dir, 'r.jsonl'),
    });
    expect(o).toMatchObject({
      brokerUrl: 'mqtt://127.0.0.1:2883',
      intervalSec: 30,
      speed: 'max',
      durationSec: 5400,
      devices: ['hn-power-unit1', '330100W0010000000000E001'],
      seed: 7,
      reportPath: join(dir, 'r.jsonl'),
    });
    // Local time without an offset is read in the registry's zone (Asia/Shanghai).
    expect(o.start?.toISOString()).toBe('2026-11-23T02:00:00.000Z');
    expect(o.scenario?.rules).toHaveLength(1);
    expect(o.speed === 'max' || typeof o.speed === 'number').toBe(true);
  });

  it('lists every invalid flag at once', () => {
    try {
      parseSimulateArgs({ broker: 'http://x', interval: '-1', speed: 'fast', duration: '3w', seed: '1.5' });
      expect.unreachable();
    } catch (err) {
      expect(isPipelineError(err, 'CFG_INVALID')).toBe(true);
      const msg = (err as Error).message;
      for (const flag of ['--broker', '--registry', '--interval', '--speed', '--duration', '--seed'])
        expect(msg).toContain(flag);
    }
  });

  it('checks start and devices against the registry', () => {
    expect(() =>
      parseSimulateArgs({ registry: park, start: 'soon', devices: 'hn-power-unit1,ghost' }),
    ).toThrowError(/--start: "soon" is not an ISO 8601 time\n\s+--devices: unknown MN or outlet id: ghost/);
    expect(() => parseSimulateArgs({ registry: '/nonexistent/park.yaml' })).toThrowError(
      /cannot read registry/,
    );
  });

  it('exposes commander flag specs', () => {
    expect(SIMULATE_FLAGS.map((f) => f.flags.split(' ')[0])).toEqual([
      '--broker',
      '--registry',
      '--interval',
      '--speed',
      '--start',
      '--duration',
      '--devices',
      '--seed',
      '--scenario',
      '--report',
      '--protocol',
      '--hj212-tcp',
      '--quirks',
      '--ambient',
      '--ambient-start',
      '--min-interval',
    ]);
  });

  it('parses the HJ 212 flags (commander camel-cases --hj212-tcp and --min-interval)', () => {
    const o = parseSimulateArgs({
      registry: park,
      protocol: 'hj212-tcp',
      hj212Tcp: '127.0.0.1:19212',
      minInterval: '5',
      quirks: 'sticky,hn-power-unit1:modbus-crc',
    });
    expect(o).toMatchObject({
      protocol: 'hj212-tcp',
      hj212Tcp: { host: '127.0.0.1', port: 19212 },
      minIntervalMin: 5,
    });
    expect(o.quirks?.get('*')).toEqual(['sticky']);
    expect(o.quirks?.get('hn-power-unit1')).toEqual(['modbus-crc']);
  });

  it('lists every problem with the HJ 212 flags', () => {
    let message = '';
    try {
      parseSimulateArgs({ registry: park, protocol: 'hj212', minInterval: '7', quirks: 'nope,ghost:sticky' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/--protocol/);
    expect(message).toMatch(/minInterval/);
    try {
      parseSimulateArgs({ registry: park, quirks: 'nope,ghost:sticky' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/unknown quirk "nope"/);
  });
});
