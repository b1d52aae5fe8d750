import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../ajv.js';

/**
 * A fake Grafana on 127.0.0.1 for tests (dashboards/grafana-client.test.ts, the alerting annotation
 * tests): every request is checked against the trimmed copy of Grafana's published OpenAPI description
 * (test-fixtures/grafana-openapi.trimmed.json): the path and method must be an operation of the spec, and
 * the JSON body must validate (ajv) against the operation's requestBody schema. It keeps state like
 * Grafana does (folders, datasources, dashboards by uid, annotations by id), so upserts take both the
 * create and the update path. Requests need `Authorization: Bearer <token>` (except /api/health).
 */
interface OpenApi {
  paths: Record<
    string,
    Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: unknown }> } }>
  >;
}

const spec = JSON.parse(
  readFileSync(join(import.meta.dirname, '../test-fixtures/grafana-openapi.trimmed.json'), 'utf8'),
) as OpenApi;

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
export function checkRequest(
  method: string,
  path: string,
  body: unknown,
): { op?: Operation; violations: string[] } {
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

export interface Recorded {
  method: string;
  path: string;
  operationId?: string;
  body: unknown;
}

export interface FakeGrafana {
  readonly recorded: Recorded[];
  readonly violations: string[];
  readonly state: {
    folders: Map<string, { uid: string; title: string; version: number }>;
    datasources: Map<string, Record<string, unknown>>;
    dashboards: Map<string, { dashboard: Record<string, unknown>; folderUid: string; version: number }>;
    annotations: Map<number, Record<string, unknown>>;
    nextAnnotation: number;
  };
  /** Answer the next `times` requests (after auth) with `status` (retry tests). */
  failNext(times: number, status?: number): void;
  /** Starts listening on 127.0.0.1 and resolves with the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createFakeGrafana(token: string): FakeGrafana {
  let server: Server | undefined;
  let failures = { times: 0, status: 503 };
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
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { message: 'Unauthorized' });
    if (failures.times > 0) {
      failures.times--;
      return send(res, failures.status, { message: 'injected failure' });
    }
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

  return {
    recorded,
    violations,
    state,
    failNext(times, status = 503) {
      failures = { times, status };
    },
    async listen() {
      server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port');
      return `http://127.0.0.1:${addr.port}`;
    },
    async close() {
      if (!server) return;
      server.close();
      await once(server, 'close');
    },
  };
}
