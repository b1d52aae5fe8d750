import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry } from '../../config/registry.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { readReportReadings } from '../../simulator/report.js';
import { type CliProcess, runCli } from '../support/cli-process.js';
import { serveEnv } from '../support/serve-env.js';

/**
 * The two CLI commands as real processes: `emissions serve` and `emissions simulate --report`, then
 * SIGTERM to serve: it flushes and exits 0, and every acknowledged reading is in InfluxDB. Also the
 * third-party client path (Debian `mosquitto_pub`) and the config error exit code.
 */
const REGISTRY = 'config/examples/park.yaml';
const DB = 'cli';
let influxd: LocalInfluxd;
let serve: CliProcess;
let dir: string;
let mqttPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-'));
  influxd = await startLocalInfluxd();
  const serving = await serveEnv({
    registryFile: REGISTRY,
    influxUrl: influxd.url,
    db: DB,
    dir,
    // A long interval: only shutdown's flush can write the tail, which is what this test checks.
    extra: { WRITE_FLUSH_INTERVAL_MS: '600000', WRITE_BATCH_SIZE: '100000' },
  });
  mqttPort = serving.mqttPort;
  serve = runCli(['serve'], {
    env: serving.env,
    logFile: join(dir, 'serve.log'),
  });
  await serve.waitForLog('emissions pipeline started');
});

afterAll(async () => {
  if (serve.child.exitCode === null) serve.kill('SIGKILL');
  await influxd?.stop();
});

describe('emissions CLI', () => {
  it('mosquitto_pub (a third-party client) publishes a reading that is stored', async () => {
    const gw = loadRegistry(REGISTRY).findByMn('330100W0010000000000E001')!.gateway;
    const payload = JSON.stringify({
      st: '32',
      cn: '2061',
      dataTime: '20261123090000',
      values: { w01018: { avg: 21.5, min: 18.2, max: 25.1, cou: 130.4, flag: 'N' } },
    });
    await promisify(execFile)('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mqttPort),
      '-u',
      gw.mn,
      '-P',
      gw.password,
      '-q',
      '1',
      '-t',
      `emissions/${gw.mn}/up`,
      '-m',
      payload,
    ]);
    // Stored once the shutdown flush runs (checked in the last test).
  });

  it('simulate → serve; SIGTERM flushes everything acknowledged and exits 0', async () => {
    const report = join(dir, 'report.jsonl');
    const sim = runCli(
      [
        'simulate',
        '--broker',
        `mqtt://127.0.0.1:${mqttPort}`,
        '--registry',
        REGISTRY,
        '--interval',
        '60',
        '--speed',
        'max',
        '--start',
        '2026-11-23T00:00:00+08:00',
        '--duration',
        '2h',
        '--seed',
        '5',
        '--report',
        report,
      ],
      { env: { LOG_LEVEL: 'info' }, logFile: join(dir, 'simulate.log') },
    );
    expect(await sim.exited).toBe(0);

    serve.kill('SIGTERM');
    expect(await serve.exited).toBe(0);

    const readings = await readReportReadings(report);
    expect(readings).toHaveLength(10 * 120);
    const expectedPoints = readings.reduce((n, r) => n + Object.keys(r.values).length, 0);
    const [count] = seriesRows(
      await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd'),
    );
    expect(count?.count).toBe(expectedPoints);

    const hour = seriesRows(
      await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT * FROM emission_hour'),
    );
    expect(hour).toHaveLength(1);
    expect(hour[0]).toMatchObject({
      time: Date.parse('2026-11-23T01:00:00Z'),
      value: 21.5,
      min: 18.2,
      max: 25.1,
      cou: 130.4,
      flag: 'N',
      pollutant: 'w01018',
      outlet: 'bj-wwtp-main',
      enterprise_name: '滨江市城东污水处理厂',
    });
  });

  it('a bad configuration lists every problem and exits 2', async () => {
    const bad = runCli(['serve'], {
      env: { INFLUX_API: 'v2', INFLUX_URL: 'not a url', MQTT_PORT: 'x' },
      logFile: join(dir, 'bad.log'),
    });
    const stderr: Buffer[] = [];
    bad.child.stderr?.on('data', (c: Buffer) => stderr.push(c));
    expect(await bad.exited).toBe(2);
    const text = Buffer.concat(stderr).toString();
    expect(text).toContain('CFG_INVALID');
    for (const part of ['EMISSIONS_REGISTRY', 'MQTT_PORT', 'INFLUX_URL', 'INFLUX_TOKEN'])
      expect(text).toContain(part);
  });
});
