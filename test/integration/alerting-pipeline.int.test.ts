import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hourStartOf } from '../../alerting/aggregate/time.js';
import { type HttpReceiver, startHttpReceiver } from '../../alerting/testing/harness.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { parseScenario } from '../../simulator/scenario.js';
import { createSimulation } from '../../simulator/simulation.js';
import { startTestService } from '../support/service.js';

/**
 * The wiring, end to end: simulated gateway → MQTT → serve (intake → alerting) → webhook, with the
 * alerting section read from a YAML config file and the API served by serve's HTTP server. The
 * simulator's scenario injects an SO2 exceedance on one gas boiler for two hours.
 */
const REGISTRY = 'config/examples/park.yaml';
const OUTLET = 'bj-heat-boiler1';
const TOKEN = 'pipeline-viewer-token-0123456789';

let influxd: LocalInfluxd;
let http: HttpReceiver;
let service: Awaited<ReturnType<typeof startTestService>>;

beforeAll(async () => {
  influxd = await startLocalInfluxd();
  http = await startHttpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'alerting-pipeline-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    stringify({
      alerting: {
        channels: [{ id: 'hook', type: 'webhook', url: `${http.url}/hook` }],
        routes: [{ match: { severities: ['exceedance'] }, channels: ['hook'] }],
      },
    }),
  );
  service = await startTestService({
    registryFile: REGISTRY,
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: 'pipeline' },
    env: {
      EMISSIONS_CONFIG_FILE: configFile,
      ALERTING_ENABLED: 'true',
      ALERTING_SCHEDULER: 'manual',
      ALERTING_STATE_DIR: join(dir, 'state'),
      ALERTING_API_TOKENS: `pipeline:viewer:${TOKEN}`,
      ALERTING_REMINDER_MINUTES: '0',
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await http?.close();
  await influxd?.stop();
});

describe('serve + MQTT + simulator → alarm', () => {
  it('an injected SO2 exceedance on a gas boiler reaches the webhook once', async () => {
    const registry = loadRegistry(REGISTRY);
    const start = hourStartOf(Date.now(), registry.timeZone) - 3 * 3_600_000;
    const scenario = parseScenario(
      {
        rules: [
          {
            outlet: OUTLET,
            code: 'a21026',
            from: new Date(start).toISOString(),
            to: new Date(start + 2 * 3_600_000).toISOString(),
            value: 200,
          },
          {
            outlet: OUTLET,
            code: 'a19001',
            from: new Date(start).toISOString(),
            to: new Date(start + 2 * 3_600_000).toISOString(),
            value: 3.5,
          },
        ],
      },
      { timeZone: registry.timeZone, registry },
    );
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry,
        devices: [OUTLET],
        intervalSec: 60,
        speed: 'max',
        start: new Date(start),
        durationSec: 2 * 3600,
        seed: 5,
        scenario,
      },
      { log: createLogger({ level: 'silent' }) },
    );
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    expect(summary.acked).toBe(120);

    const alerting = service.alerting!;
    expect(alerting).toBeDefined();
    const r = alerting.tick(Date.now());
    expect(r.hoursJudged).toBe(2);
    const [hook] = await http.waitFor((c) => c.path === '/hook');
    // GB 13271-2014 表2 new gas boiler: SO2 50 mg/m³ at 3.5 % O2; 折算 at O2 = 3.5 % equals the measured 200.
    expect(hook!.body).toMatchObject({
      transition: 'open',
      alarm: {
        outlet: OUTLET,
        pollutant: 'a21026',
        rule: 'hourly_zs_exceedance',
        value: 200,
        limit: 50,
        basis: 'zs',
        severity: 'exceedance',
      },
    });
    await alerting.flush();
    expect(http.requests.filter((c) => c.path === '/hook')).toHaveLength(1);

    const res = await fetch(`${service.httpUrl}/api/v1/alarms?outlet=${OUTLET}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ total: 1, items: [{ outlet: OUTLET, value: 200 }] });
    expect((await fetch(`${service.httpUrl}/api/v1/alarms`)).status).toBe(401);
    expect((await fetch(`${service.httpUrl}/docs/json`)).status).toBe(200);

    await service.flush();
    const rows = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: 'pipeline' },
        `SELECT * FROM agg_hour WHERE outlet = '${OUTLET}' AND pollutant = 'a21026'`,
      ),
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.valid === true && row.valid_minutes === 60 && row.zs_mean === 200)).toBe(
      true,
    );
  });
});
