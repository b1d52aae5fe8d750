import { once } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry } from '../../config/registry.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { readMetric, startTestService } from '../support/service.js';

/**
 * Every kind of bad input the issue lists, each sent by a misbehaving device while a good device keeps
 * publishing: the bad input is counted by reason and answered, and the good device's data is stored.
 */
const REGISTRY = 'config/examples/park.yaml';
const registry = loadRegistry(REGISTRY);
const good = registry.findByMn('010000A8900016F000169DC0')!.gateway;
const bad = registry.findByMn('020000B7710023A000210001')!.gateway;

let influxd: LocalInfluxd;
let service: Awaited<ReturnType<typeof startTestService>>;
const DB = 'bad_input';
const clients: MqttClient[] = [];

/** mqtt.js's typed emitter does not fit events.once's overloads; this is the same thing, typed. */
function nextEvent<T extends unknown[]>(
  client: MqttClient,
  event: 'connect' | 'error' | 'close' | 'message',
): Promise<T> {
  return once(client as unknown as NodeJS.EventEmitter, event) as Promise<T>;
}

async function connect(username: string | undefined, password: string | undefined) {
  const client = await mqtt.connectAsync(service.mqttUrl, { username, password, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

async function connectRefused(username: string | undefined, password: string | undefined): Promise<Error> {
  const client = mqtt.connect(service.mqttUrl, { username, password, reconnectPeriod: 0 });
  clients.push(client);
  const [err] = await nextEvent<[Error]>(client, 'error');
  return err;
}

let goodSeq = 0;
async function publishGood(client: MqttClient): Promise<void> {
  const minute = String(goodSeq++).padStart(2, '0');
  await client.publishAsync(
    `emissions/${good.mn}/up`,
    JSON.stringify({
      st: '31',
      cn: '2011',
      dataTime: `2026-11-23T10:${minute}:00+08:00`,
      values: { a21026: { rtd: 10 + goodSeq, flag: 'N' } },
    }),
    { qos: 1 },
  );
}

beforeAll(async () => {
  influxd = await startLocalInfluxd();
  service = await startTestService({
    registryFile: REGISTRY,
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
    env: { MQTT_MAX_PAYLOAD_BYTES: '2048' },
  });
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await service?.stop();
  await influxd?.stop();
});

describe('bad input never loses other data', () => {
  it('refuses unknown devices, wrong passwords and anonymous clients at CONNECT', async () => {
    expect((await connectRefused('FFFFFFFFFFFFFFFFFFFFFFFF', 'whatever')).message).toMatch(
      /Bad username or password/i,
    );
    expect((await connectRefused(good.mn, 'wrong-password')).message).toMatch(/Bad username or password/i);
    expect((await connectRefused(undefined, undefined)).message).toMatch(/Not authorized/i);
    expect(
      await readMetric(service.httpUrl, 'emissions_connections_refused_total', {
        reason: 'ING_AUTH_UNKNOWN_DEVICE',
      }),
    ).toBe(1);
    expect(
      await readMetric(service.httpUrl, 'emissions_connections_refused_total', {
        reason: 'ING_AUTH_BAD_PASSWORD',
      }),
    ).toBe(1);
    expect(
      await readMetric(service.httpUrl, 'emissions_connections_refused_total', {
        reason: 'ING_AUTH_ANONYMOUS',
      }),
    ).toBe(1);
  });

  it('counts, answers and survives malformed, mistyped, non-finite and oversize payloads', async () => {
    const goodClient = await connect(good.mn, good.password);
    const badClient = await connect(bad.mn, bad.password);
    const notices: Array<{ code: string; reason: string }> = [];
    await badClient.subscribeAsync(`emissions/${bad.mn}/down`, { qos: 1 });
    badClient.on('message', (_t, payload) =>
      notices.push(JSON.parse(payload.toString()) as { code: string; reason: string }),
    );
    const up = `emissions/${bad.mn}/up`;
    const cases: Array<[string, string | Buffer]> = [
      ['ING_PAYLOAD_NOT_JSON', '{"st":"31","cn":'],
      [
        'ING_PAYLOAD_NOT_JSON',
        '{"st":"31","cn":"2011","dataTime":"2026-11-23T10:00:00+08:00","values":{"a21026":{"rtd":NaN}}}',
      ],
      [
        'ING_PAYLOAD_INVALID',
        JSON.stringify({
          st: '31',
          cn: '2011',
          dataTime: '2026-11-23T10:00:00+08:00',
          values: { a21026: { rtd: '12' } },
        }),
      ],
      [
        'ING_PAYLOAD_INVALID',
        '{"st":"31","cn":"2011","dataTime":"2026-11-23T10:00:00+08:00","values":{"a21026":{"rtd":1e999}}}',
      ],
      [
        'ING_DATATIME_INVALID',
        JSON.stringify({
          st: '31',
          cn: '2011',
          dataTime: '2026-02-30T10:00:00',
          values: { a21026: { rtd: 1 } },
        }),
      ],
      ['ING_PAYLOAD_TOO_LARGE', Buffer.alloc(3000, 0x7b)],
    ];
    for (const [, payload] of cases) {
      await publishGood(goodClient);
      await badClient.publishAsync(up, payload, { qos: 1 }); // every bad message still gets its PUBACK
    }
    await publishGood(goodClient);
    expect(badClient.connected).toBe(true);
    const expected = new Map<string, number>();
    for (const [code] of cases) expected.set(code, (expected.get(code) ?? 0) + 1);
    for (const [code, count] of expected) {
      expect(await readMetric(service.httpUrl, 'emissions_messages_rejected_total', { reason: code })).toBe(
        count,
      );
    }
    // The device is told why on its down topic (QoS 1 delivery may trail the PUBACK slightly).
    while (notices.length < cases.length) await nextEvent(badClient, 'message');
    expect(notices.map((n) => n.code)).toEqual(cases.map(([code]) => code));

    await service.flush();
    const rows = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: DB },
        `SELECT value FROM emission_rtd WHERE mn = '${good.mn}'`,
      ),
    );
    expect(rows).toHaveLength(goodSeq);
    const badRows = await influxQueryOne(
      { url: influxd.url, db: DB },
      `SELECT value FROM emission_rtd WHERE mn = '${bad.mn}'`,
    );
    expect(badRows).toEqual([]);
  });

  it('stores values with unknown pollutant codes, counts them and keeps the rest of the reading', async () => {
    const client = await connect(bad.mn, bad.password);
    await client.publishAsync(
      `emissions/${bad.mn}/up`,
      JSON.stringify({
        st: '31',
        cn: '2011',
        dataTime: '2026-11-23T11:00:00+08:00',
        values: { a21026: { rtd: 33.3 }, a99948: { rtd: 1.5, flag: 'N' } },
      }),
      { qos: 1 },
    );
    await service.flush();
    const rows = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: DB },
        `SELECT value, pollutant FROM emission_rtd WHERE mn = '${bad.mn}'`,
      ),
    );
    expect(rows.map((r) => [r.pollutant, r.value]).sort()).toEqual([
      ['a21026', 33.3],
      ['a99948', 1.5],
    ]);
    expect(await readMetric(service.httpUrl, 'emissions_unknown_pollutant_values_total')).toBe(1);
  });

  it('disconnects a device that publishes under another MN, stores nothing of it, and counts it', async () => {
    const goodClient = await connect(good.mn, good.password);
    const spoofer = await connect(bad.mn, bad.password);
    const before = await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
      reason: 'ING_TOPIC_FORBIDDEN',
    });
    const closed = nextEvent(spoofer, 'close');
    spoofer.publish(
      `emissions/${good.mn}/up`,
      JSON.stringify({
        st: '31',
        cn: '2011',
        dataTime: '2026-11-23T12:00:00+08:00',
        values: { a21026: { rtd: 999 } },
      }),
      { qos: 1 },
    );
    await closed;
    await publishGood(goodClient);
    await service.flush();
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
        reason: 'ING_TOPIC_FORBIDDEN',
      }),
    ).toBe(before + 1);
    const spoofed = await influxQueryOne(
      { url: influxd.url, db: DB },
      `SELECT value FROM emission_rtd WHERE value = 999`,
    );
    expect(spoofed).toEqual([]);
    const rows = await influxQueryOne(
      { url: influxd.url, db: DB },
      `SELECT count(value) FROM emission_rtd WHERE mn = '${good.mn}'`,
    );
    expect(seriesRows(rows)[0]?.count).toBe(goodSeq);
  });
});

describe('up messages and MQTT subscribers', () => {
  it('stores up messages while no one subscribes to them, and forwards them once a client does', async () => {
    const gateway = await connect(good.mn, good.password);
    await publishGood(gateway); // no subscriber to up topics yet: stored, not routed
    // A device may read its own topics; `emissions/{mn}/#` includes its up topic.
    await gateway.subscribeAsync(`emissions/${good.mn}/#`, { qos: 1 });
    const echoed = nextEvent<[string, Buffer]>(gateway, 'message');
    await publishGood(gateway);
    const [topic, payload] = await echoed;
    expect(topic).toBe(`emissions/${good.mn}/up`);
    expect(JSON.parse(payload.toString('utf8')).values.a21026.rtd).toBe(10 + goodSeq);
    await service.flush();
    const rows = await influxQueryOne(
      { url: influxd.url, db: DB },
      `SELECT count(value) FROM emission_rtd WHERE mn = '${good.mn}'`,
    );
    expect(seriesRows(rows)[0]?.count).toBe(goodSeq);
  });
});
