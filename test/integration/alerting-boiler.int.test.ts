import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertingConfig } from '../../alerting/config.js';
import { type Alerting, createAlerting } from '../../alerting/index.js';
import {
  type HttpReceiver,
  rtdReading,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from '../../alerting/testing/harness.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { parseRegistry, type Registry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { createDatabase, influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { createInfluxWriter } from '../../ingest/influx-writer.js';

/**
 * Flue-gas exceedance end to end in simulated time, with a real InfluxDB, real HTTP robots and a real
 * SMTP server: a coal boiler whose SO2 折算 hourly mean is 60 mg/m³ against a 35 mg/m³ local limit for
 * 3 hours → exactly one alarm, one notification per routed channel, escalation after the ack timeout,
 * clear after 2 recovered hours. Outlets whose data are flagged C or M, an hour with 40 valid minutes
 * and O2 = 21 % raise nothing. The API (auth, filters, paging, ack/comment/clear) is exercised on it.
 */
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00+08:00');
const DB = 'alarms';
const SECRET = 'SEC-test-secret-0123456789';
const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  officer: 'officer-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdefgh',
};

const MN = {
  main: 'BOILERMAIN01',
  c: 'BOILERCAL001',
  m: 'BOILERMNT001',
  short: 'BOILER40MIN1',
  air: 'BOILERAIR001',
};

function outlet(id: string, mn: string) {
  return {
    id,
    name: `${id} 排气筒`,
    medium: 'gas',
    sourceType: 'coal-boiler',
    limitSet: 'gb13271-2014/new/coal',
    // A local standard stricter than GB 13271 (e.g. the Hangzhou draft, regulations.md §3.1, S).
    limits: [{ code: 'a21026', max: 35, unit: 'mg/m3', source: '地方标准 SO2 35 mg/m³' }],
    gateway: { mn, password: 'secret-pw' },
    pollutants: [
      { code: 'a21026', unit: 'mg/m3' },
      { code: 'a19001', unit: '%' },
      { code: 'a00000', unit: 'm3/s' },
    ],
  };
}

const registry: Registry = parseRegistry({
  version: 1,
  enterprises: [
    {
      id: 'zj-textile',
      name: '浙江某印染有限公司',
      region: '滨江经开区',
      contacts: [{ name: '王工', email: 'ehs@textile.example' }],
      outlets: [outlet('boiler-main', MN.main), outlet('boiler-cal', MN.c), outlet('boiler-mnt', MN.m)],
    },
    {
      id: 'other-plant',
      name: '滨江另一家企业',
      region: '滨江化工园',
      outlets: [outlet('boiler-short', MN.short), outlet('boiler-air', MN.air)],
    },
  ],
});

let influxd: LocalInfluxd;
let http: HttpReceiver;
let smtp: SmtpReceiver;
let alerting: Alerting;
let api: FastifyInstance;
let now = T0;

/** One hour of 1-minute readings; clock follows data time (readings arrive in real time). */
function feedHour(
  mn: string,
  hourStart: number,
  so2: number,
  o2: number,
  opts: { flag?: string; minutes?: number } = {},
) {
  const site = registry.findByMn(mn)!;
  for (let m = 0; m < (opts.minutes ?? 60); m++) {
    const t = hourStart + m * 60_000;
    now = Math.max(now, t);
    alerting.onReading(
      rtdReading(mn, t, {
        a21026: { rtd: so2, flag: opts.flag ?? 'N' },
        a19001: { rtd: o2, flag: 'N' },
        a00000: { rtd: 40, flag: 'N' },
      }),
      site,
    );
  }
}

function tickAt(t: number) {
  now = Math.max(now, t);
  return alerting.tick(now);
}

const auth = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });

beforeAll(async () => {
  influxd = await startLocalInfluxd();
  await createDatabase(influxd.url, DB);
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver();
  const writer = createInfluxWriter({ api: 'v1', url: influxd.url, db: DB }, { timeoutMs: 5000 });
  const config = alertingConfig({
    stateDir: mkdtempSync(join(tmpdir(), 'alerting-boiler-')),
    scheduler: 'manual',
    consoleUrl: 'http://console.example/#',
    reminderMinutes: 0,
    delivery: { retryInitialMs: 20, retryMaxMs: 100 },
    smtp: { host: '127.0.0.1', port: smtp.port, from: 'alarms@centre.example' },
    api: {
      tokens: [
        { name: '张三(viewer)', role: 'viewer', token: TOKENS.viewer },
        { name: '李四', role: 'officer', token: TOKENS.officer },
        { name: '管理员', role: 'admin', token: TOKENS.admin },
      ],
    },
    channels: [
      { id: 'hook', type: 'webhook', url: `${http.url}/hook` },
      { id: 'ding', type: 'dingtalk', url: `${http.url}/ding?access_token=abc`, secret: SECRET },
      { id: 'wecom', type: 'wecom', url: `${http.url}/wecom?key=k` },
      { id: 'mail', type: 'email', to: ['duty@centre.example'], enterpriseContacts: true },
      { id: 'chief', type: 'email', to: ['chief@centre.example'] },
    ],
    routes: [
      {
        name: '超标 → 值班',
        match: { severities: ['exceedance'] },
        channels: ['hook', 'ding', 'wecom', 'mail'],
        escalate: [{ afterMinutes: 30, channels: ['chief'] }],
      },
    ],
  });
  alerting = createAlerting(config, {
    registry,
    log: createLogger({ level: 'silent' }),
    clock: { now: () => now },
    writeLines: (lines) => writer.write(lines),
  });
  await alerting.start();
  api = Fastify();
  await api.register(alerting.httpPlugin);
  await api.ready();
});

afterAll(async () => {
  await api?.close();
  await alerting?.stop();
  await http?.close();
  await smtp?.close();
  await influxd?.stop();
});

describe('flue-gas hourly 折算 exceedance', () => {
  let alarmId = '';

  it('raises exactly one alarm with the numbers, one notification per routed channel', async () => {
    // Hours 0–1 normal; hours 2–4 at 60 mg/m³ (O2 = 9 % = reference, so 折算 = measured).
    feedHour(MN.main, T0, 20, 9);
    feedHour(MN.main, T0 + H, 20, 9);
    expect(tickAt(T0 + 2 * H + 15 * 60_000).transitions).toBe(0);
    feedHour(MN.main, T0 + 2 * H, 60, 9);
    // Not judged before the lateness budget has passed.
    expect(tickAt(T0 + 3 * H + 14 * 60_000).hoursJudged).toBe(0);
    const r = tickAt(T0 + 3 * H + 15 * 60_000);
    expect(r.hoursJudged).toBe(1);

    const list = alerting.engine.listAlarms({ limit: 10, offset: 0 });
    expect(list.total).toBe(1);
    const a = list.items[0]!;
    alarmId = a.id;
    expect(a).toMatchObject({
      outletId: 'boiler-main',
      pollutant: 'a21026',
      rule: 'hourly_zs_exceedance',
      severity: 'exceedance',
      state: 'active',
      basis: 'zs',
      unit: 'mg/m3',
      limit: 35,
      firstWindowStart: T0 + 2 * H,
    });
    expect(a.value).toBeCloseTo(60, 6);

    const [hook] = await http.waitFor((c) => c.path === '/hook');
    const [ding] = await http.waitFor((c) => c.path === '/ding');
    const [wecom] = await http.waitFor((c) => c.path === '/wecom');
    const [mail] = await smtp.waitFor((m) => m.to.includes('duty@centre.example'));
    expect(hook!.body).toMatchObject({
      type: 'alarm',
      transition: 'open',
      alarm: {
        id: alarmId,
        value: 60,
        limit: 35,
        unit: 'mg/m3',
        basis: 'zs',
        pollutant: 'a21026',
        outlet: 'boiler-main',
      },
    });
    const text = String(hook!.body.textZh);
    for (const part of [
      '浙江某印染有限公司',
      'boiler-main 排气筒',
      '二氧化硫',
      '60 mg/m³（折算）',
      '限值：35 mg/m³',
      '2026-11-23 02:00–03:00',
      `http://console.example/#/alarms/${alarmId}`,
    ])
      expect(text).toContain(part);
    // DingTalk signature: HMAC-SHA256(secret, `${timestamp}\n${secret}`), base64, url-encoded.
    const ts = ding!.query.get('timestamp')!;
    const expected = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
    expect(ding!.query.get('sign')).toBe(expected);
    expect(ding!.query.get('access_token')).toBe('abc');
    expect(ding!.body).toMatchObject({ msgtype: 'markdown' });
    expect(wecom!.body).toMatchObject({ msgtype: 'markdown' });
    expect(mail!.to.sort()).toEqual(['duty@centre.example', 'ehs@textile.example']);
    expect(mail!.subject).toContain('超标');
  });

  it('stays one alarm while the exceedance continues, and escalates after the ack timeout', async () => {
    feedHour(MN.main, T0 + 3 * H, 60, 9);
    tickAt(T0 + 4 * H + 15 * 60_000); // 60 min after opening: the 30-min escalation step is due
    const [chief] = await smtp.waitFor((m) => m.to.includes('chief@centre.example'));
    expect(chief!.subject).toContain('逐级上报');
    feedHour(MN.main, T0 + 4 * H, 60, 9);
    tickAt(T0 + 5 * H + 15 * 60_000);
    await alerting.flush();
    expect(alerting.engine.listAlarms({ limit: 10, offset: 0 }).total).toBe(1);
    expect(http.requests.filter((c) => c.path === '/hook')).toHaveLength(1);
    expect(http.requests.filter((c) => c.path === '/ding')).toHaveLength(1);
    expect(smtp.mails.filter((m) => m.to.includes('chief@centre.example'))).toHaveLength(1);
    const transitions = alerting.engine.events(alarmId).map((e) => e.transition);
    expect(transitions.filter((t) => t === 'open')).toHaveLength(1);
    expect(transitions).toContain('tier');
  });

  it('data flagged C or M, an hour with 40 valid minutes and O2 = 21 % raise nothing', async () => {
    for (let h = 0; h < 3; h++) {
      feedHour(MN.c, T0 + h * H, 60, 9, { flag: 'C' });
      feedHour(MN.m, T0 + h * H, 60, 9, { flag: 'M' });
      feedHour(MN.short, T0 + h * H, 60, 9, { minutes: 40 });
      feedHour(MN.air, T0 + h * H, 60, 21);
    }
    tickAt(now + 2 * H);
    const others = alerting.engine
      .listAlarms({ limit: 50, offset: 0 })
      .items.filter((a) => a.outletId !== 'boiler-main');
    expect(others).toEqual([]);
    await alerting.flush();
    const rows = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: DB },
        `SELECT * FROM agg_hour WHERE pollutant = 'a21026' AND origin = 'computed' AND outlet =~ /boiler-(short|air|cal)/ AND time = ${T0 + H}ms`,
      ),
    );
    const byOutlet = new Map(rows.map((r) => [r.outlet, r]));
    expect(byOutlet.get('boiler-short')).toMatchObject({
      valid: false,
      valid_minutes: 40,
      total_minutes: 40,
    });
    expect(byOutlet.get('boiler-cal')).toMatchObject({ valid: false, valid_minutes: 0, total_minutes: 60 });
    // O2 = 21 %: measured mean is valid, the 折算 mean does not exist (never infinite) and is invalid.
    expect(byOutlet.get('boiler-air')).toMatchObject({
      valid: true,
      zs_valid: false,
      zs_valid_minutes: 0,
      zs_mean: null,
    });
  });

  it('clears after two recovered hours and tells every channel that heard of it', async () => {
    feedHour(MN.main, T0 + 5 * H, 10, 9);
    tickAt(T0 + 6 * H + 15 * 60_000);
    expect(alerting.engine.getAlarm(alarmId)?.state).toBe('active');
    feedHour(MN.main, T0 + 6 * H, 10, 9);
    tickAt(T0 + 7 * H + 15 * 60_000);
    expect(alerting.engine.getAlarm(alarmId)).toMatchObject({ state: 'cleared', clearReason: 'recovered' });
    const hooks = await http.waitFor((c) => c.path === '/hook', 2);
    expect(hooks[1]!.body).toMatchObject({ transition: 'clear', alarm: { id: alarmId, state: 'cleared' } });
    await smtp.waitFor((m) => m.to.includes('chief@centre.example'), 2);
    await alerting.flush();
    expect(http.requests.filter((c) => c.path === '/wecom')).toHaveLength(2);
    // Every delivery attempt is recorded.
    const deliveries = alerting.engine.deliveries(alarmId);
    expect(deliveries.every((d) => d.status === 'sent' && d.attempts.length === 1)).toBe(true);
    expect(deliveries).toHaveLength(4 + 1 + 5);
  });

  it('stores hourly and daily aggregates and alarm events in InfluxDB', async () => {
    tickAt(T0 + 25 * H); // closes the local day 2026-11-23
    await alerting.flush();
    const q = { url: influxd.url, db: DB };
    const hours = seriesRows(
      await influxQueryOne(
        q,
        `SELECT * FROM agg_hour WHERE outlet = 'boiler-main' AND pollutant = 'a21026' AND origin = 'computed'`,
      ),
    );
    expect(hours).toHaveLength(7);
    const h2 = hours.find((r) => r.time === T0 + 2 * H)!;
    expect(h2).toMatchObject({
      valid: true,
      valid_minutes: 60,
      total_minutes: 60,
      mean: 60,
      zs_mean: 60,
      limit: 35,
      unit: 'mg/m3',
    });
    // Load: 60 mg/m³ × 40 m³/s × 3600 s/h × 1e-6 = 8.64 kg/h.
    expect(h2.load_kg_h as number).toBeCloseTo(8.64, 6);
    const days = seriesRows(
      await influxQueryOne(q, `SELECT * FROM agg_day WHERE outlet = 'boiler-main' AND pollutant = 'a21026'`),
    );
    expect(days).toHaveLength(1);
    expect(days[0]).toMatchObject({ time: T0, valid_hours: 7, valid: false });
    const events = seriesRows(
      await influxQueryOne(q, `SELECT * FROM alarm_event WHERE outlet = 'boiler-main'`),
    );
    expect(events.map((e) => e.transition)).toEqual(['open', 'tier', 'clear']);
    expect(events[0]).toMatchObject({
      alarm_id: alarmId,
      rule: 'hourly_zs_exceedance',
      severity: 'exceedance',
      value: 60,
      limit: 35,
      basis: 'zs',
    });
    expect(String(events[0]!.text_zh)).toContain('二氧化硫');
  });

  it('API: 401 without a valid token, 403 without the role', async () => {
    expect((await api.inject({ method: 'GET', url: '/api/v1/alarms' })).statusCode).toBe(401);
    const bad = await api.inject({
      method: 'GET',
      url: '/api/v1/alarms',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('Bearer');
    for (const [method, url] of [
      ['GET', '/api/v1/alarms'],
      ['GET', `/api/v1/alarms/${alarmId}`],
      ['POST', `/api/v1/alarms/${alarmId}/ack`],
      ['POST', `/api/v1/alarms/${alarmId}/comments`],
      ['POST', `/api/v1/alarms/${alarmId}/clear`],
      ['GET', '/api/v1/limits?outlet=boiler-main'],
    ] as const) {
      expect((await api.inject({ method, url })).statusCode, url).toBe(401);
    }
    expect(
      (
        await api.inject({
          method: 'POST',
          url: `/api/v1/alarms/${alarmId}/ack`,
          headers: auth('viewer'),
          payload: {},
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await api.inject({
          method: 'POST',
          url: `/api/v1/alarms/${alarmId}/clear`,
          headers: auth('officer'),
          payload: {},
        })
      ).statusCode,
    ).toBe(403);
    expect((await api.inject({ method: 'GET', url: '/docs/json' })).json()).toMatchObject({
      openapi: '3.0.3',
    });
  });

  it('API: filters, paging, ack and comments record who and when, manual clear', async () => {
    // A second and third episode on the main outlet: exceed again (new episode, new id).
    feedHour(MN.main, T0 + 8 * H, 70, 9);
    tickAt(T0 + 9 * H + 15 * 60_000);
    const list = await api.inject({
      method: 'GET',
      url: '/api/v1/alarms?state=active',
      headers: auth('viewer'),
    });
    expect(list.statusCode).toBe(200);
    const body = list.json() as { total: number; items: Array<{ id: string; value: number }> };
    expect(body.total).toBe(1);
    const second = body.items[0]!;
    expect(second.id).not.toBe(alarmId);
    expect(second.value).toBe(70);

    const page1 = (
      await api.inject({ method: 'GET', url: '/api/v1/alarms?limit=1&offset=0', headers: auth('viewer') })
    ).json();
    const page2 = (
      await api.inject({ method: 'GET', url: '/api/v1/alarms?limit=1&offset=1', headers: auth('viewer') })
    ).json();
    expect(page1.total).toBe(2);
    expect(page1.items[0].id).toBe(second.id); // newest first
    expect(page2.items[0].id).toBe(alarmId);
    const filtered = await api.inject({
      method: 'GET',
      url: `/api/v1/alarms?enterprise=zj-textile&outlet=boiler-main&pollutant=a21026&severity=exceedance,warning&state=cleared&from=${new Date(T0).toISOString()}&to=${T0 + 24 * H}`,
      headers: auth('viewer'),
    });
    expect(filtered.json()).toMatchObject({ total: 1, items: [{ id: alarmId }] });
    expect(
      (await api.inject({ method: 'GET', url: '/api/v1/alarms?outlet=nope', headers: auth('viewer') })).json()
        .total,
    ).toBe(0);
    expect(
      (await api.inject({ method: 'GET', url: '/api/v1/alarms?state=bogus', headers: auth('viewer') }))
        .statusCode,
    ).toBe(400);
    expect(
      (await api.inject({ method: 'GET', url: '/api/v1/alarms?limit=0', headers: auth('viewer') }))
        .statusCode,
    ).toBe(400);

    now += 60_000;
    const ack = await api.inject({
      method: 'POST',
      url: `/api/v1/alarms/${second.id}/ack`,
      headers: auth('officer'),
      payload: { comment: '已电话通知企业' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({
      alarm: { state: 'acknowledged', ackedBy: '李四', ackedAt: new Date(now).toISOString() },
    });
    expect(
      (
        await api.inject({
          method: 'POST',
          url: `/api/v1/alarms/${second.id}/ack`,
          headers: auth('officer'),
          payload: {},
        })
      ).statusCode,
    ).toBe(409);
    const comment = await api.inject({
      method: 'POST',
      url: `/api/v1/alarms/${second.id}/comments`,
      headers: auth('officer'),
      payload: { text: '企业称脱硫塔检修' },
    });
    expect(comment.statusCode).toBe(201);
    expect(
      (
        await api.inject({
          method: 'POST',
          url: `/api/v1/alarms/${second.id}/comments`,
          headers: auth('officer'),
          payload: {},
        })
      ).statusCode,
    ).toBe(400);
    const detail = (
      await api.inject({ method: 'GET', url: `/api/v1/alarms/${second.id}`, headers: auth('viewer') })
    ).json();
    expect(detail.events.map((e: { transition: string }) => e.transition)).toEqual([
      'open',
      'ack',
      'comment',
    ]);
    expect(detail.events[2]).toMatchObject({
      actor: '李四',
      comment: '企业称脱硫塔检修',
      at: new Date(now).toISOString(),
    });
    expect(
      (await api.inject({ method: 'GET', url: '/api/v1/alarms/nope', headers: auth('viewer') })).statusCode,
    ).toBe(404);

    // Acknowledged: no escalation step fires.
    tickAt(now + 2 * H);
    expect(alerting.engine.events(second.id).map((e) => e.transition)).not.toContain('tier');

    const cleared = await api.inject({
      method: 'POST',
      url: `/api/v1/alarms/${second.id}/clear`,
      headers: auth('admin'),
      payload: { comment: '人工解除' },
    });
    expect(cleared.json()).toMatchObject({
      alarm: { state: 'cleared', clearedBy: '管理员', clearReason: 'manual' },
    });
    await http.waitFor(
      (c) =>
        c.path === '/hook' &&
        (c.body.alarm as { id: string }).id === second.id &&
        c.body.transition === 'clear',
    );
  });

  it('API: limits of an outlet with their sources', async () => {
    const res = await api.inject({
      method: 'GET',
      url: '/api/v1/limits?outlet=boiler-main',
      headers: auth('viewer'),
    });
    const body = res.json();
    expect(body).toMatchObject({
      outlet: 'boiler-main',
      limitSet: 'gb13271-2014/new/coal',
      referenceO2: { value: 9 },
    });
    const so2 = body.limits.find((l: { code: string }) => l.code === 'a21026');
    expect(so2).toMatchObject({ max: 35, unit: 'mg/m3', source: { override: true, confidence: 'permit' } });
    const pm = body.limits.find((l: { code: string }) => l.code === 'a34013');
    expect(pm).toMatchObject({
      max: 50,
      source: { standard: 'GB 13271-2014', clause: '表2', confidence: 'V' },
    });
    expect(
      (await api.inject({ method: 'GET', url: '/api/v1/limits', headers: auth('viewer') })).statusCode,
    ).toBe(400);
  });
});
