import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { isPipelineError, type PipelineError } from '../../core/errors.js';
import {
  createDatabase,
  InfluxQueryError,
  type InfluxQueryTarget,
  influxQuery,
  influxQueryOne,
  quoteIdent,
  seriesRows,
} from '../../ingest/influx-query.js';
import { createInfluxWriter, type InfluxWriter } from '../../ingest/influx-writer.js';
import { type Point, toLineProtocol } from '../../ingest/line-protocol.js';

const DB = 'emissions_test';
const T0 = Date.parse('2026-11-23T02:00:00Z');

async function rejectionOf(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (err) {
    if (isPipelineError(err)) return err;
    throw err;
  }
  throw new Error('expected the write to fail');
}

describe('InfluxDB 1.6.7 write path (real influxd)', () => {
  let influx: LocalInfluxd;
  let writer: InfluxWriter;
  let q: InfluxQueryTarget;

  beforeAll(async () => {
    influx = await startLocalInfluxd();
    await createDatabase(influx.url, DB);
    writer = createInfluxWriter({ api: 'v1', url: influx.url, db: DB }, { timeoutMs: 5000 });
    q = { url: influx.url, db: DB };
  });

  afterAll(async () => {
    await influx?.stop();
  });

  it('pings', async () => {
    expect(await writer.ping()).toBe(true);
    expect(writer.describe).toBe(`influxdb v1 ${influx.url} db=${DB}`);
  });

  it('round-trips tricky names, Chinese tags and every field type', async () => {
    const tricky: Point = {
      measurement: 'lp test,one',
      tags: {
        enterprise_name: '某某热电有限公司 (一期)',
        outlet_name: '1号 锅炉,排口=A',
        mn: 'MN 001',
        quote: 'q"x',
        path: 'C:\\temp',
        trailing: 'end\\',
        empty: '',
        'tag key,=': 'v',
      },
      fields: {
        value: 0.1 + 0.2,
        big: 1e21,
        tiny: 1e-7,
        neg: -3.25,
        whole: 12,
        count: { int: -42 },
        huge: { int: 2 ** 53 },
        valid: true,
        alarm: false,
        text: 'say "hi" \\ back\\slash\\',
        cn: '二氧化硫小时均值超标',
        'field key,= ': 1.5,
      },
      timeMs: T0,
    };
    const multiline: Point = {
      measurement: 'lp test,one',
      tags: { mn: 'MN\n002', enterprise_name: '第二\r\n企业' },
      fields: { text: 'line 1\nline 2\r\nline 3', value: 1 },
      timeMs: T0 + 1,
    };
    await writer.write([toLineProtocol(tricky), toLineProtocol(multiline)]);

    const series = await influxQueryOne(q, `SELECT * FROM ${quoteIdent('lp test,one')} GROUP BY *`);
    const rows = seriesRows(series).sort((a, b) => Number(a.time) - Number(b.time));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      time: T0,
      enterprise_name: '某某热电有限公司 (一期)',
      outlet_name: '1号 锅炉,排口=A',
      mn: 'MN 001',
      quote: 'q"x',
      path: 'C:\\temp',
      trailing: 'end/', // documented: a trailing backslash cannot be expressed in 1.x line protocol
      'tag key,=': 'v',
      value: 0.1 + 0.2,
      big: 1e21,
      tiny: 1e-7,
      neg: -3.25,
      whole: 12,
      count: -42,
      huge: 2 ** 53,
      valid: true,
      alarm: false,
      text: 'say "hi" \\ back\\slash\\',
      cn: '二氧化硫小时均值超标',
      'field key,= ': 1.5,
    });
    // CR/LF become single spaces (documented in line-protocol.ts); the rest of the line is intact.
    expect(rows[1]).toMatchObject({
      mn: 'MN 002',
      enterprise_name: '第二 企业',
      text: 'line 1 line 2 line 3',
      value: 1,
    });

    // Types as InfluxDB recorded them: plain numbers are floats, {int} integers.
    const keys = seriesRows(await influxQueryOne(q, `SHOW FIELD KEYS FROM ${quoteIdent('lp test,one')}`));
    const types = Object.fromEntries(keys.map((r) => [r.fieldKey, r.fieldType]));
    expect(types).toMatchObject({
      value: 'float',
      whole: 'float',
      count: 'integer',
      valid: 'boolean',
      cn: 'string',
    });
  });

  it('overwrites a point with the same tags and time (idempotent retransmission)', async () => {
    const point: Point = {
      measurement: 'emission_minute',
      tags: { mn: 'MN100', pollutant: 'a21026' },
      fields: { value: 10, flag: 'N' },
      timeMs: T0,
    };
    await writer.write([toLineProtocol(point)]);
    await writer.write([toLineProtocol(point)]);
    await writer.write(toLineProtocol({ ...point, fields: { value: 11 } }));
    const rows = seriesRows(
      await influxQueryOne(q, `SELECT * FROM emission_minute WHERE mn = 'MN100' AND pollutant = 'a21026'`),
    );
    // Fields merge on overwrite: the later value wins, the untouched flag stays.
    expect(rows).toEqual([{ time: T0, mn: 'MN100', pollutant: 'a21026', value: 11, flag: 'N' }]);
  });

  it('reports a field type conflict as SINK_WRITE_REJECTED while the good lines are written', async () => {
    await writer.write(
      toLineProtocol({ measurement: 'conflict', tags: { k: 'seed' }, fields: { v: 1 }, timeMs: T0 }),
    );
    const lines = [
      toLineProtocol({ measurement: 'conflict', tags: { k: 'a' }, fields: { v: 2 }, timeMs: T0 + 1 }),
      toLineProtocol({
        measurement: 'conflict',
        tags: { k: 'b' },
        fields: { v: 'not a number' },
        timeMs: T0 + 2,
      }),
      toLineProtocol({ measurement: 'conflict', tags: { k: 'c' }, fields: { v: 3 }, timeMs: T0 + 3 }),
    ];
    const err = await rejectionOf(writer.write(lines));
    expect(err.code).toBe('SINK_WRITE_REJECTED');
    expect(err.message).toContain('field type conflict');
    expect(err.details).toMatchObject({ status: 400, partial: true, dropped: 1 });
    expect(String(err.details?.body)).toContain('partial write');

    const rows = seriesRows(await influxQueryOne(q, 'SELECT v FROM conflict GROUP BY k'));
    expect(rows.map((r) => [r.k, r.v]).sort()).toEqual([
      ['a', 2],
      ['c', 3],
      ['seed', 1],
    ]);
  });

  it('rejects a write to a missing database with status 404 and InfluxDB’s reason', async () => {
    const w = createInfluxWriter({ api: 'v1', url: influx.url, db: 'nope' }, { timeoutMs: 5000 });
    const err = await rejectionOf(w.write(['m v=1 1']));
    expect(err.code).toBe('SINK_WRITE_REJECTED');
    expect(err.details?.status).toBe(404);
    expect(err.message).toContain('database not found');
  });

  it('gets 404 from /api/v2/write on 1.6.7 (the v2 API needs 1.8+)', async () => {
    const w = createInfluxWriter(
      { api: 'v2', url: influx.url, org: 'o', bucket: DB, token: 'secret-token-123' },
      { timeoutMs: 5000 },
    );
    const err = await rejectionOf(w.write(['m v=1 1']));
    expect(err.code).toBe('SINK_WRITE_REJECTED');
    expect(err.details?.status).toBe(404);
    expect(err.message).not.toContain('secret-token-123');
  });

  it('writes gzip bodies and sends basic auth (ignored by an auth-less server)', async () => {
    const w = createInfluxWriter(
      { api: 'v1', url: influx.url, db: DB, username: 'writer', password: 'pw-not-in-logs' },
      { timeoutMs: 5000, gzip: true },
    );
    expect(w.describe).not.toContain('pw-not-in-logs');
    const lines = Array.from({ length: 2000 }, (_, i) =>
      toLineProtocol({ measurement: 'gz', tags: { mn: `MN${i % 10}` }, fields: { v: i }, timeMs: T0 + i }),
    );
    await w.write(lines);
    const [count] = seriesRows(await influxQueryOne(q, 'SELECT count(v) FROM gz'));
    expect(count?.count).toBe(2000);
  });

  it('throws InfluxQueryError for InfluxQL errors, per statement', async () => {
    await expect(influxQuery(q, 'SELECT nope FROM')).rejects.toBeInstanceOf(InfluxQueryError);
    const results = await influxQuery(q, 'SHOW DATABASES; SHOW MEASUREMENTS');
    expect(results).toHaveLength(2);
    expect(seriesRows(results[0] ?? []).map((r) => r.name)).toContain(DB);
  });
});

describe('unreachable and crashed InfluxDB (real influxd)', () => {
  it('classifies a stopped server as retriable, pings false, and recovers after restart', async () => {
    const influx = await startLocalInfluxd();
    try {
      await createDatabase(influx.url, DB);
      const writer = createInfluxWriter({ api: 'v1', url: influx.url, db: DB }, { timeoutMs: 3000 });
      await writer.write(['crash v=1 1000']);

      await influx.kill();
      expect(await writer.ping()).toBe(false);
      const err = await rejectionOf(writer.write(['crash v=2 2000']));
      expect(err.code).toBe('SINK_WRITE_RETRIABLE');
      expect(err.details?.code).toBe('ECONNREFUSED');

      // Same port and directories: the WAL brings the acknowledged point back after the crash.
      const pidBefore = influx.pid;
      await influx.restart();
      expect(influx.pid).not.toBe(pidBefore);
      expect(await writer.ping()).toBe(true);
      await writer.write(['crash v=2 2000']);
      const rows = seriesRows(await influxQueryOne({ url: influx.url, db: DB }, 'SELECT v FROM crash'));
      expect(rows).toEqual([
        { time: 1000, v: 1 },
        { time: 2000, v: 2 },
      ]);
    } finally {
      await influx.stop();
    }
    expect(() => process.kill(influx.pid, 0)).toThrow();
  });
});

describe('error classification against a scripted HTTP server', () => {
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      req.resume();
      req.once('end', () => handler(req, res));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
  });

  function answer(status: number, body: string, headers: Record<string, string> = {}): void {
    handler = (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
  }

  it('429 and 503 are retriable with Retry-After in milliseconds', async () => {
    const w = createInfluxWriter(
      { api: 'v2', url, org: 'o', bucket: 'b', token: 't0ken-abc' },
      { timeoutMs: 2000 },
    );
    answer(429, '{"code":"too many requests","message":"slow down"}', { 'retry-after': '7' });
    const tooMany = await rejectionOf(w.write(['m v=1 1']));
    expect(tooMany.code).toBe('SINK_WRITE_RETRIABLE');
    expect(tooMany.details).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(tooMany.message).toContain('slow down');

    answer(503, 'unavailable', { 'retry-after': new Date(Date.now() + 5000).toUTCString() });
    const unavailable = await rejectionOf(w.write(['m v=1 1']));
    expect(unavailable.code).toBe('SINK_WRITE_RETRIABLE');
    expect(unavailable.details?.retryAfterMs).toBeGreaterThan(3000);
    expect(unavailable.details?.retryAfterMs).toBeLessThanOrEqual(5000);

    answer(500, '{"error":"engine: cache maximum memory size exceeded"}');
    const full = await rejectionOf(w.write(['m v=1 1']));
    expect(full.code).toBe('SINK_WRITE_RETRIABLE');
    expect(full.details?.retryAfterMs).toBeUndefined();
    expect(full.message).toContain('cache maximum memory size exceeded');

    const req = seen.at(-1);
    expect(req?.headers.authorization).toBe('Token t0ken-abc');
    expect(req?.url).toBe('/api/v2/write?org=o&bucket=b&precision=ms');
  });

  it('401 is rejected without leaking the token', async () => {
    const w = createInfluxWriter(
      { api: 'v2', url, org: 'o', bucket: 'b', token: 't0ken-abc' },
      { timeoutMs: 2000 },
    );
    answer(401, '{"code":"unauthorized","message":"unauthorized access for t0ken-abc"}');
    const err = await rejectionOf(w.write(['m v=1 1']));
    expect(err.code).toBe('SINK_WRITE_REJECTED');
    expect(err.details?.status).toBe(401);
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain('t0ken-abc');
  });

  it('a server that never answers is a retriable timeout; a caller abort is retriable too', async () => {
    handler = () => {}; // hold the request open
    const w = createInfluxWriter({ api: 'v1', url, db: 'x' }, { timeoutMs: 200 });
    const timedOut = await rejectionOf(w.write(['m v=1 1']));
    expect(timedOut.code).toBe('SINK_WRITE_RETRIABLE');
    expect(timedOut.details).toMatchObject({ code: 'TIMEOUT', timedOut: true });

    const slow = createInfluxWriter({ api: 'v1', url, db: 'x' }, { timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = rejectionOf(slow.write(['m v=1 1'], controller.signal));
    controller.abort();
    const aborted = await pending;
    expect(aborted.code).toBe('SINK_WRITE_RETRIABLE');
    expect(aborted.details).toMatchObject({ code: 'ABORTED', aborted: true });
    server.closeAllConnections();
  });

  it('sends v1 credentials as basic auth, never in the URL, and keeps a path prefix', async () => {
    answer(204, '');
    const w = createInfluxWriter(
      { api: 'v1', url: `${url}/influx`, db: 'd b', retentionPolicy: 'rp1', username: 'u', password: 'p@ss' },
      { timeoutMs: 2000 },
    );
    await w.write(['m v=1 1']);
    const req = seen.at(-1);
    expect(req?.url).toBe('/influx/write?db=d+b&rp=rp1&precision=ms');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('u:p@ss').toString('base64')}`);
  });
});
