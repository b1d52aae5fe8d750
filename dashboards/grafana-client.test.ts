import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAjv } from './ajv.js';
import { createGrafanaAnnotator } from './annotations.js';
import { DATASOURCE_UID, FOLDER_UID } from './datasource.js';
import { createGrafanaClient, GrafanaApiError } from './grafana-client.js';
import { buildDashboards } from './index.js';
import { influxDatasourceSpec, pushDashboards } from './push.js';

/**
 * The Grafana client against a fake Grafana on 127.0.0.1 that checks every request against the trimmed
 * copy of Grafana's published OpenAPI description (test-fixtures/grafana-openapi.trimmed.json): the path
 * and method must be an operation of the spec, and the JSON body must validate (ajv) against the
 * operation's requestBody schema. The fake keeps state like Grafana does (folders, datasources,
 * dashboards by uid, annotations by id), so upserts take both the create and the update path.
 */

interface OpenApi {
  paths: Record<
    string,
    Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: unknown }> } }>
  >;
}

const spec = JSON.parse(
  readFileSync(join(import.meta.dirname, 'test-fixtures/grafana-openapi.trimmed.json'), 'utf8'),
) as OpenApi;
const TOKEN = 'glsa_test_token_0123456789';

const ajv = createAjv();
ajv.addSchema(spec as unknown as object, 'grafana');

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  operationId: string;
  validate?: ValidateFunction;
}

const operations: Operation[] = Object.entries(spec.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, op]) => {
    const o: Operation = {
      method: method.toUpperCase(),
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      operationId: op.operationId,
    };
    const schema = op.requestBody?.content['application/json']?.schema as { $ref?: string } | undefined;
    if (schema?.$ref) o.validate = ajv.compile({ $ref: `grafana${schema.$ref}` });
    return o;
  }),
);

/** Checks one request against the spec; returns the violations (empty = conforms). */
function checkRequest(method: string, path: string, body: unknown): { op?: Operation; violations: string[] } {
  const candidates = operations.filter((o) => o.regex.test(path));
  const op = candidates.find((o) => o.method === method);
  if (!op) return { violations: [`${method} ${path}: not an operation of the OpenAPI description`] };
  if (op.validate && !op.validate(body)) {
    return {
      op,
      violations: (op.validate.errors ?? []).map((e) => `${op.operationId}${e.instancePath} ${e.message}`),
    };
  }
  return { op, violations: [] };
}

interface Recorded {
  method: string;
  path: string;
  operationId?: string;
  body: unknown;
}

let server: Server;
let url: string;
const recorded: Recorded[] = [];
const violations: string[] = [];
const state = {
  folders: new Map<string, { uid: string; title: string; version: number }>(),
  datasources: new Map<string, Record<string, unknown>>(),
  dashboards: new Map<string, { dashboard: Record<string, unknown>; folderUid: string; version: number }>(),
  annotations: new Map<number, Record<string, unknown>>(),
  nextAnnotation: 1,
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const method = req.method ?? 'GET';
  const full = new URL(req.url ?? '/', 'http://x').pathname;
  if (!full.startsWith('/api/')) return send(res, 404, { message: 'not found' });
  const path = full.slice('/api'.length);
  if (method === 'GET' && path === '/health') {
    // Documented in Grafana's docs, not in the OpenAPI description: allowed without auth, like Grafana.
    recorded.push({ method, path, body: undefined });
    return send(res, 200, { database: 'ok', version: '12.2.0', commit: 'fake' });
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, { message: 'Unauthorized' });
  let body: unknown;
  if (raw !== '') {
    if (!String(req.headers['content-type']).startsWith('application/json'))
      violations.push(`${method} ${path}: body without JSON content type`);
    body = JSON.parse(raw);
  }
  const check = checkRequest(method, path, body);
  violations.push(...check.violations);
  recorded.push({ method, path, body, ...(check.op ? { operationId: check.op.operationId } : {}) });
  if (!check.op) return send(res, 404, { message: 'Not found' });
  const b = (body ?? {}) as Record<string, unknown>;
  const last = decodeURIComponent(path.split('/').at(-1) ?? '');
  switch (check.op.operationId) {
    case 'getFolderByUID': {
      const f = state.folders.get(last);
      return f
        ? send(res, 200, { ...f, id: 1, url: `/dashboards/f/${f.uid}` })
        : send(res, 404, { message: 'folder not found' });
    }
    case 'createFolder': {
      if (state.folders.has(String(b.uid)))
        return send(res, 409, { message: 'a folder with the same uid already exists' });
      const f = { uid: String(b.uid), title: String(b.title), version: 1 };
      state.folders.set(f.uid, f);
      return send(res, 200, { ...f, id: 1 });
    }
    case 'updateFolder': {
      const f = state.folders.get(last);
      if (!f) return send(res, 404, { message: 'folder not found' });
      f.title = String(b.title);
      f.version += 1;
      return send(res, 200, { ...f, id: 1 });
    }
    case 'getDataSourceByUID': {
      const d = state.datasources.get(last);
      return d ? send(res, 200, d) : send(res, 404, { message: 'Data source not found' });
    }
    case 'addDataSource': {
      const d = { ...b, id: 7, version: 1 };
      state.datasources.set(String(b.uid), d);
      return send(res, 200, { id: 7, name: b.name, message: 'Datasource added', datasource: d });
    }
    case 'updateDataSourceByUID': {
      const prev = state.datasources.get(last);
      if (!prev) return send(res, 404, { message: 'Data source not found' });
      if (b.version !== prev.version)
        return send(res, 409, { message: 'Datasource has already been updated by someone else' });
      const d = { ...b, id: 7, version: Number(prev.version) + 1 };
      state.datasources.set(last, d);
      return send(res, 200, { id: 7, name: b.name, message: 'Datasource updated', datasource: d });
    }
    case 'postDashboard': {
      const d = b.dashboard as Record<string, unknown>;
      const uid = String(d.uid);
      const prev = state.dashboards.get(uid);
      if (prev && b.overwrite !== true)
        return send(res, 412, { message: 'version-mismatch', status: 'version-mismatch' });
      if (!state.folders.has(String(b.folderUid))) return send(res, 400, { message: 'folder not found' });
      const version = (prev?.version ?? 0) + 1;
      state.dashboards.set(uid, { dashboard: d, folderUid: String(b.folderUid), version });
      return send(res, 200, { id: 3, uid, url: `/d/${uid}/x`, status: 'success', version, slug: 'x' });
    }
    case 'postAnnotation': {
      const id = state.nextAnnotation++;
      state.annotations.set(id, b);
      return send(res, 200, { id, message: 'Annotation added' });
    }
    case 'updateAnnotation': {
      const id = Number(last);
      if (!state.annotations.has(id)) return send(res, 404, { message: 'Annotation not found' });
      state.annotations.set(id, b);
      return send(res, 200, { message: 'Annotation updated' });
    }
    default:
      return send(res, 500, { message: `fake has no handler for ${check.op.operationId}` });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  recorded.length = 0;
  violations.length = 0;
});

describe('the OpenAPI check has teeth', () => {
  it('rejects unknown operations and bodies that break the schema', () => {
    expect(checkRequest('DELETE', '/dashboards/db', undefined).violations).toHaveLength(1);
    expect(checkRequest('POST', '/annotations', { time: 1 }).violations.join()).toMatch(/text/);
    expect(checkRequest('POST', '/annotations', { text: 'x', time: 'soon' }).violations.join()).toMatch(
      /time/,
    );
    expect(checkRequest('POST', '/folders', { uid: 'a', title: 5 }).violations.join()).toMatch(/title/);
    expect(checkRequest('POST', '/annotations', { text: 'ok', time: 1, tags: ['a'] }).violations).toEqual([]);
  });
});

describe('dashboards push against a fake Grafana checked with the OpenAPI description', () => {
  const client = () => createGrafanaClient({ url, token: TOKEN });
  const influx = { url: 'http://influxdb:8086', db: 'emissions', token: 'influx-secret' };

  it('first push creates folder, datasource and every dashboard; requests conform', async () => {
    const result = await pushDashboards(client(), { datasource: influx });
    expect(violations).toEqual([]);
    expect(result.health.database).toBe('ok');
    expect(result.folder).toEqual({ uid: FOLDER_UID, created: true });
    expect(result.datasource).toEqual({ uid: DATASOURCE_UID, created: true });
    expect(result.dashboards.map((d) => d.uid)).toEqual(buildDashboards().map((d) => d.uid));
    expect(recorded.map((r) => r.operationId ?? `${r.method} ${r.path}`)).toEqual([
      'GET /health',
      'getFolderByUID',
      'createFolder',
      'getDataSourceByUID',
      'addDataSource',
      ...buildDashboards().map(() => 'postDashboard'),
    ]);
    const ds = state.datasources.get(DATASOURCE_UID)!;
    expect(ds).toMatchObject({
      type: 'influxdb',
      url: influx.url,
      jsonData: { version: 'InfluxQL', dbName: 'emissions', httpHeaderName1: 'Authorization' },
    });
    expect(ds.secureJsonData).toEqual({ httpHeaderValue1: 'Token influx-secret' });
    const saved = state.dashboards.get('emissions-overview')!;
    expect(saved.folderUid).toBe(FOLDER_UID);
    expect(saved.dashboard).toEqual(buildDashboards()[0]?.dashboard);
  });

  it('a second push updates in place (no duplicates) and still conforms', async () => {
    const result = await pushDashboards(client(), { datasource: influx });
    expect(violations).toEqual([]);
    expect(result.folder.created).toBe(false);
    expect(result.datasource?.created).toBe(false);
    expect(result.dashboards.every((d) => d.version === 2)).toBe(true);
    expect(recorded.map((r) => r.operationId).filter(Boolean)).toContain('updateDataSourceByUID');
    expect(state.dashboards.size).toBe(5);
    expect(state.folders.size).toBe(1);
  });

  it('the datasource body matches the provisioning file’s model', () => {
    expect(influxDatasourceSpec({ url: 'http://i:8086', db: 'd' })).not.toHaveProperty('secureJsonData');
    expect(checkRequest('POST', '/datasources', influxDatasourceSpec(influx)).violations).toEqual([]);
  });

  it('errors carry a stable code and never the token', async () => {
    const bad = createGrafanaClient({ url, token: 'wrong-token' });
    const err = await bad.upsertFolder({ uid: 'x', title: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrafanaApiError);
    expect(err).toMatchObject({ code: 'DSH_GRAFANA_HTTP', status: 401 });
    expect(String((err as Error).message)).not.toContain('wrong-token');
    const down = createGrafanaClient({ url: 'http://127.0.0.1:1', token: TOKEN, timeoutMs: 2000 });
    await expect(down.health()).rejects.toMatchObject({ code: 'DSH_GRAFANA_UNREACHABLE' });
  });
});

describe('annotations for alarm and warning transitions', () => {
  it('an alarm episode is one annotation: posted at open, updated on ack, a region up to the clear', async () => {
    const errors: unknown[] = [];
    const annotator = createGrafanaAnnotator(createGrafanaClient({ url, token: TOKEN }), {
      onError: (e) => errors.push(e),
    });
    const base = {
      alarmId: 'ALM-9',
      enterpriseName: '华能滨江热电有限公司',
      outletName: '1号机组烟囱',
      pollutant: 'a21026',
      rule: 'hourly_zs_exceedance',
      severity: 'exceedance',
      textZh: '二氧化硫小时折算均值 80.2 mg/m³ 超过限值 35 mg/m³',
    };
    const t0 = Date.parse('2026-11-23T10:00:00+08:00');
    await annotator.alarm({ ...base, transition: 'open', timeMs: t0 });
    await annotator.alarm({
      ...base,
      transition: 'ack',
      timeMs: t0 + 600_000,
      actor: '张三',
      textZh: '已通知企业',
    });
    await annotator.alarm({ ...base, transition: 'clear', timeMs: t0 + 3_600_000, textZh: '恢复正常' });
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    expect(recorded.map((r) => r.operationId)).toEqual([
      'postAnnotation',
      'updateAnnotation',
      'updateAnnotation',
    ]);
    const ids = [...state.annotations.keys()];
    const a = state.annotations.get(ids.at(-1)!)!;
    expect(a).toMatchObject({ time: t0, timeEnd: t0 + 3_600_000, dashboardUID: 'emissions-alarms' });
    expect(a.tags).toEqual(expect.arrayContaining(['报警', 'exceedance', 'alarm:ALM-9']));
    expect(String(a.text)).toContain('【确认】已通知企业（张三）');
    expect(String(a.text)).toContain('【解除】恢复正常');
  });

  it('a warning period is a region, ended at the actual lift', async () => {
    const annotator = createGrafanaAnnotator(createGrafanaClient({ url, token: TOKEN }));
    const w = {
      warningId: 'W-7',
      region: '滨江经开区',
      level: 'orange' as const,
      startMs: 1_000_000,
      textZh: '启动橙色预警',
    };
    await annotator.warning({ ...w, transition: 'issued', endMs: 9_000_000 });
    await annotator.warning({ ...w, transition: 'lifted', endMs: 5_000_000, textZh: '解除橙色预警' });
    expect(violations).toEqual([]);
    expect(recorded.map((r) => r.operationId)).toEqual(['postAnnotation', 'updateAnnotation']);
    const a = state.annotations.get([...state.annotations.keys()].at(-1)!)!;
    expect(a).toMatchObject({
      time: 1_000_000,
      timeEnd: 5_000_000,
      dashboardUID: 'emissions-heavy-pollution',
    });
  });

  it('a failing Grafana is reported to onError, not thrown at the engine', async () => {
    const errors: unknown[] = [];
    const annotator = createGrafanaAnnotator(
      createGrafanaClient({ url: 'http://127.0.0.1:1', timeoutMs: 1000 }),
      { onError: (e) => errors.push(e) },
    );
    await expect(
      annotator.warning({
        warningId: 'W-8',
        transition: 'issued',
        region: 'r',
        level: 'red',
        startMs: 1,
        endMs: 2,
        textZh: 'x',
      }),
    ).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
