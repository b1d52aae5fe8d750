import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../alerting/api/auth.js';
import { alertingConfig } from '../../alerting/config.js';
import { HeavyPollutionConfig } from '../../alerting/heavy-pollution/config.js';
import { createHeavyPollution, type HeavyPollution } from '../../alerting/heavy-pollution/service.js';
import { type Alerting, createAlerting } from '../../alerting/index.js';
import { createTransitionAnnotations, type TransitionAnnotations } from '../../alerting/notify/grafana.js';
import { rtdReading } from '../../alerting/testing/harness.js';
import { parseRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { createFakeGrafana } from '../../dashboards/testing/fake-grafana.js';
import { boilerRegistryDoc } from '../support/boiler-registry.js';

/**
 * Grafana annotations "when configured": the real alarm engine and warning service post one annotation
 * request per transition to a fake Grafana that validates every request against Grafana's OpenAPI
 * description (dashboards/testing/fake-grafana.ts). An alarm episode is one annotation: created at open,
 * updated on escalate and ack, turned into a region at the clear. A 503 is retried; an unreachable Grafana
 * is counted and never blocks alarm handling. Simulated time via tick().
 */
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00+08:00');
const MN = 'GRAFANABOILER1';
const GRAFANA_TOKEN = 'glsa_alerting_test_token_0123';
const OFFICER = 'officer-token-0123456789abcdef';
const registry = parseRegistry(
  boilerRegistryDoc({ id: 'gf-co', name: '注记测试企业', region: '注记区' }, [
    { id: 'gf-boiler', name: '1号锅炉排气筒', mn: MN },
  ]),
);
const site = registry.findByMn(MN)!;
const fake = createFakeGrafana(GRAFANA_TOKEN);
const log = createLogger({ level: 'silent' });
let grafanaUrl: string;
let now = T0;
let annotations: TransitionAnnotations;
let alerting: Alerting;
let hp: HeavyPollution;
let api: FastifyInstance;
const failures: string[] = [];

beforeAll(async () => {
  grafanaUrl = await fake.listen();
  annotations = createTransitionAnnotations({
    url: grafanaUrl,
    token: GRAFANA_TOKEN,
    log,
    retryInitialMs: 10,
    onFailure: (kind, reason) => failures.push(`${kind}:${reason}`),
  });
  const config = alertingConfig({
    stateDir: mkdtempSync(join(tmpdir(), 'alerting-grafana-')),
    scheduler: 'manual',
    reminderMinutes: 0,
    earlyWarning: { enabled: true },
    api: { tokens: [{ name: 'duty', role: 'officer', token: OFFICER }] },
  });
  alerting = createAlerting(config, { registry, log, clock: { now: () => now }, annotations });
  await alerting.start();
  hp = createHeavyPollution({
    config: HeavyPollutionConfig.parse({ enabled: true }),
    alerting: config,
    registry,
    engine: alerting.engine,
    outbox: alerting.outbox,
    auth: createAuthenticator(config.api.tokens),
    influx: { url: 'http://127.0.0.1:1', db: 'unused' },
    writeLines: async () => {},
    log,
    now: () => now,
    annotations,
  });
  hp.start();
  api = Fastify();
  await api.register(hp.httpPlugin);
  await api.ready();
});

afterAll(async () => {
  await api?.close();
  await hp?.stop();
  await alerting?.stop();
  await fake.close();
});

function hourOf(start: number, so2: number): void {
  for (let m = 0; m < 60; m++) {
    now = start + m * 60_000;
    alerting.onReading(rtdReading(MN, now, { a21026: { rtd: so2 }, a19001: { rtd: 9 } }), site);
  }
}

function closeHour(start: number): void {
  now = start + H + 20 * 60_000;
  alerting.tick(now);
}

describe('Grafana annotations of alarm and warning transitions', () => {
  it('one request per alarm transition; the episode becomes a region at the clear', async () => {
    // 30 mg/m³ at 9 % O2 = the limit's reference: ≥ 80 % of 35 ⇒ early warning; then 60 ⇒ exceedance.
    hourOf(T0, 30);
    closeHour(T0);
    hourOf(T0 + H, 60);
    closeHour(T0 + H);
    const [alarm] = alerting.engine.listAlarms({ limit: 5, offset: 0 }).items;
    expect(alarm?.severity).toBe('exceedance');
    await alerting.flush();
    fake.failNext(1, 503); // the ack's update fails once and is retried
    expect(alerting.engine.ack(alarm!.id, '张三', '已电话通知企业').ok).toBe(true);
    await alerting.flush();
    hourOf(T0 + 2 * H, 5);
    closeHour(T0 + 2 * H);
    hourOf(T0 + 3 * H, 5);
    closeHour(T0 + 3 * H);
    const cleared = alerting.engine.getAlarm(alarm!.id)!;
    expect(cleared.state).toBe('cleared');
    await alerting.flush();

    expect(fake.violations).toEqual([]);
    const ops = fake.recorded.filter((r) => r.path.startsWith('/annotations'));
    // open (post), escalate, ack (its injected 503 is answered before recording; the retry is recorded), clear
    expect(ops.map((r) => r.operationId)).toEqual([
      'postAnnotation',
      'updateAnnotation',
      'updateAnnotation',
      'updateAnnotation',
    ]);
    expect(fake.state.annotations.size).toBe(1);
    const a = [...fake.state.annotations.values()][0]!;
    const clearEvent = alerting.engine.events(alarm!.id).find((e) => e.transition === 'clear')!;
    expect(a).toMatchObject({
      time: alerting.engine.events(alarm!.id)[0]!.at,
      timeEnd: clearEvent.at,
      dashboardUID: 'emissions-alarms',
    });
    expect(a.tags).toEqual(expect.arrayContaining(['报警', `alarm:${alarm!.id}`, 'a21026']));
    const text = String(a.text);
    expect(text).toContain('注记测试企业 1号锅炉排气筒');
    for (const tag of ['【报警】', '【升级】', '【确认】', '【解除】']) expect(text).toContain(tag);
    expect(text).toContain('（张三）');
    expect(annotations.stats).toMatchObject({ sent: 4, failed: 0, dropped: 0 });
    expect(failures).toEqual([]);
  });

  it('a warning period: issued, changed, lifted on the heavy-pollution dashboard', async () => {
    fake.recorded.length = 0;
    const auth = { authorization: `Bearer ${OFFICER}` };
    const start = T0 + 24 * H;
    const issued = await api.inject({
      method: 'POST',
      url: '/api/v1/warnings',
      headers: auth,
      payload: {
        region: '注记区',
        level: 'orange',
        start: new Date(start).toISOString(),
        plannedEnd: new Date(start + 48 * H).toISOString(),
        authority: '注记区重污染天气应急指挥部',
        docNo: '注重污指〔2026〕1号',
      },
    });
    expect(issued.statusCode).toBe(201);
    const id = (issued.json() as { id: string }).id;
    const patch = (payload: object) =>
      api.inject({ method: 'PATCH', url: `/api/v1/warnings/${id}`, headers: auth, payload });
    expect((await patch({ level: 'red' })).statusCode).toBe(200);
    expect((await patch({ end: new Date(start + 30 * H).toISOString() })).statusCode).toBe(200);
    await hp.flush();
    expect(fake.violations).toEqual([]);
    expect(fake.recorded.map((r) => r.operationId)).toEqual([
      'postAnnotation',
      'updateAnnotation',
      'updateAnnotation',
    ]);
    const w = [...fake.state.annotations.values()].find((x) =>
      (x.tags as string[]).includes(`warning:${id}`),
    )!;
    expect(w).toMatchObject({
      time: start,
      timeEnd: start + 30 * H,
      dashboardUID: 'emissions-heavy-pollution',
    });
    expect(String(w.text)).toContain('重污染天气预警解除');
  });

  it('an unreachable Grafana is counted after bounded retries and never blocks alarm handling', async () => {
    const down = createTransitionAnnotations({
      url: 'http://127.0.0.1:1',
      token: GRAFANA_TOKEN,
      log,
      attempts: 2,
      retryInitialMs: 5,
      timeoutMs: 1000,
      onFailure: (kind, reason) => failures.push(`${kind}:${reason}`),
    });
    down.alarm({
      alarmId: 'x',
      transition: 'open',
      timeMs: now,
      enterpriseName: 'e',
      outletName: 'o',
      pollutant: 'a21026',
      rule: 'hourly_zs_exceedance',
      severity: 'exceedance',
      textZh: 'x',
    });
    await down.idle();
    expect(down.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(failures).toEqual(['alarm:failed']);
  });
});
