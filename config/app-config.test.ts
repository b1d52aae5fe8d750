import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPipelineError } from '../core/errors.js';
import { loadAppConfig } from './app-config.js';

const BASE = {
  EMISSIONS_REGISTRY: 'config/examples/park.yaml',
  INFLUX_API: 'v1',
  INFLUX_URL: 'http://127.0.0.1:8086',
  INFLUX_DB: 'emissions',
};

describe('app config', () => {
  it('applies defaults and freezes the result', () => {
    const c = loadAppConfig(BASE);
    expect(c.mqtt).toEqual({ host: '0.0.0.0', port: 1883, allowAnonymous: false, maxPayloadBytes: 65536 });
    expect(c.timeZone).toBe('Asia/Shanghai');
    expect(c.write.batchSize).toBe(5000);
    expect(Object.isFrozen(c.write)).toBe(true);
  });

  it('lists every problem with its path and environment variable in one error', () => {
    try {
      loadAppConfig({
        INFLUX_API: 'v2',
        INFLUX_URL: 'ftp://x',
        MQTT_PORT: 'abc',
        EMISSIONS_TIME_ZONE: 'Nowhere/City',
      });
      expect.unreachable();
    } catch (err) {
      expect(isPipelineError(err, 'CFG_INVALID')).toBe(true);
      const msg = (err as Error).message;
      for (const part of [
        'registryFile (EMISSIONS_REGISTRY)',
        'mqtt.port (MQTT_PORT)',
        'influx.url (INFLUX_URL)',
        'influx.token (INFLUX_TOKEN)',
        'influx.org (INFLUX_ORG)',
      ]) {
        expect(msg).toContain(part);
      }
    }
  });

  it('has no default secret: v2 without a token is an error', () => {
    expect(() => loadAppConfig({ ...BASE, INFLUX_API: 'v2', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b' })).toThrow(
      /influx.token \(INFLUX_TOKEN\)/,
    );
  });

  it('reads an optional YAML file, with environment variables winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'emissions.yaml');
    writeFileSync(file, 'mqtt:\n  port: 11883\n  allowAnonymous: true\nwrite:\n  batchSize: 100\n');
    const c = loadAppConfig({ ...BASE, EMISSIONS_CONFIG_FILE: file, WRITE_BATCH_SIZE: '200' });
    expect(c.mqtt.port).toBe(11883);
    expect(c.mqtt.allowAnonymous).toBe(true);
    expect(c.write.batchSize).toBe(200);
  });

  it('rejects unknown keys in the file (typos must not be ignored)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'emissions.yaml');
    writeFileSync(file, 'mqtt:\n  prot: 1\n');
    expect(() => loadAppConfig({ ...BASE, EMISSIONS_CONFIG_FILE: file })).toThrow(
      /mqtt: Unrecognized key: "prot"/,
    );
  });
});
