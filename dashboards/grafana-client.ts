import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ErrorCode } from '../core/errors.js';

/**
 * A small typed client for the parts of Grafana's HTTP API the project uses (there is no maintained npm
 * client): health, folders, datasources, dashboards, annotations. Requests follow Grafana's published
 * OpenAPI description (public/openapi3.json; the operations used are kept as a trimmed copy in
 * dashboards/test-fixtures/, and the tests check every request against it).
 *
 * Authentication: a service-account token as `Authorization: Bearer …` (or basic auth for a lab
 * Grafana). The token never appears in error messages.
 */

export type GrafanaErrorCode = Extract<ErrorCode, 'DSH_GRAFANA_HTTP' | 'DSH_GRAFANA_UNREACHABLE'>;

export class GrafanaApiError extends Error {
  override readonly name = 'GrafanaApiError';
  constructor(
    /** DSH_GRAFANA_HTTP: Grafana answered non-2xx; DSH_GRAFANA_UNREACHABLE: no answer (network, timeout). */
    readonly code: GrafanaErrorCode,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly status?: number,
    readonly body?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface GrafanaClientOptions {
  /** Grafana root URL, e.g. `http://grafana:3000` or `https://bureau.example/grafana/`. */
  url: string;
  /** Service-account token. */
  token?: string;
  basicAuth?: { user: string; password: string };
  /** Sets `X-Grafana-Org-Id` (default: the token's org). */
  orgId?: number;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export interface GrafanaHealth {
  database: string;
  version?: string;
  commit?: string;
}

export interface FolderSpec {
  uid: string;
  title: string;
  description?: string;
}

/** AddDataSourceCommand / UpdateDataSourceCommand fields this project sets. */
export interface DatasourceSpec {
  uid: string;
  name: string;
  type: string;
  access: 'proxy' | 'direct';
  url: string;
  isDefault?: boolean;
  database?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}

export interface AnnotationSpec {
  /** Epoch ms. */
  time: number;
  /** Epoch ms; makes the annotation a region. */
  timeEnd?: number;
  text: string;
  tags?: string[];
  dashboardUID?: string;
  panelId?: number;
}

export interface UpsertResult {
  uid: string;
  created: boolean;
}

export interface SavedDashboard {
  uid: string;
  url?: string;
  version?: number;
  status?: string;
}

export interface GrafanaClient {
  health(): Promise<GrafanaHealth>;
  /** Creates the folder, or updates its title/description when it exists. */
  upsertFolder(folder: FolderSpec): Promise<UpsertResult>;
  /** Creates the datasource, or replaces its settings when one with the uid exists. */
  upsertDatasource(ds: DatasourceSpec): Promise<UpsertResult>;
  /** POST /dashboards/db with overwrite: creates or replaces by uid. */
  upsertDashboard(
    dashboard: Dashboard,
    opts: { folderUid: string; message?: string },
  ): Promise<SavedDashboard>;
  /** Returns the new annotation's id. */
  createAnnotation(a: AnnotationSpec): Promise<number>;
  /** Replaces text, tags, time and timeEnd of an annotation. */
  updateAnnotation(id: number, a: AnnotationSpec): Promise<void>;
}

interface Answer {
  status: number;
  json: unknown;
}

export function createGrafanaClient(opts: GrafanaClientOptions): GrafanaClient {
  const base = new URL(opts.url);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  else if (opts.basicAuth) {
    headers.authorization = `Basic ${Buffer.from(`${opts.basicAuth.user}:${opts.basicAuth.password}`).toString('base64')}`;
  }
  if (opts.orgId !== undefined) headers['x-grafana-org-id'] = String(opts.orgId);

  /** `path` is relative to /api (as in the OpenAPI description). `ok` lists statuses that are not errors. */
  async function request(
    method: string,
    path: string,
    body?: unknown,
    ok: readonly number[] = [],
  ): Promise<Answer> {
    const url = new URL(`api${path}`, base);
    const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, init);
      text = await res.text();
    } catch (err) {
      throw new GrafanaApiError(
        'DSH_GRAFANA_UNREACHABLE',
        `Grafana ${method} /api${path} failed: ${err instanceof Error ? err.message : String(err)}`,
        method,
        path,
        undefined,
        undefined,
        { cause: err },
      );
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if ((res.status < 200 || res.status >= 300) && !ok.includes(res.status)) {
      const message =
        json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string'
          ? (json as { message: string }).message
          : text.slice(0, 300);
      throw new GrafanaApiError(
        'DSH_GRAFANA_HTTP',
        `Grafana ${method} /api${path} answered HTTP ${res.status}: ${message}`,
        method,
        path,
        res.status,
        text.slice(0, 2000),
      );
    }
    return { status: res.status, json };
  }

  const field = <T>(json: unknown, key: string): T | undefined =>
    json && typeof json === 'object' ? ((json as Record<string, unknown>)[key] as T | undefined) : undefined;

  return {
    async health() {
      // /api/health is not in the OpenAPI description; it needs no auth and answers {database, version, commit}.
      const { json } = await request('GET', '/health');
      const database = field<string>(json, 'database') ?? 'unknown';
      const h: GrafanaHealth = { database };
      const version = field<string>(json, 'version');
      const commit = field<string>(json, 'commit');
      if (version !== undefined) h.version = version;
      if (commit !== undefined) h.commit = commit;
      return h;
    },

    async upsertFolder(folder) {
      const path = `/folders/${encodeURIComponent(folder.uid)}`;
      const existing = await request('GET', path, undefined, [404]);
      if (existing.status === 404) {
        const body: Record<string, string> = { uid: folder.uid, title: folder.title };
        if (folder.description !== undefined) body.description = folder.description;
        await request('POST', '/folders', body);
        return { uid: folder.uid, created: true };
      }
      const body: Record<string, unknown> = { title: folder.title, overwrite: true };
      if (folder.description !== undefined) body.description = folder.description;
      await request('PUT', path, body);
      return { uid: folder.uid, created: false };
    },

    async upsertDatasource(ds) {
      const path = `/datasources/uid/${encodeURIComponent(ds.uid)}`;
      const existing = await request('GET', path, undefined, [404]);
      if (existing.status === 404) {
        await request('POST', '/datasources', ds);
        return { uid: ds.uid, created: true };
      }
      const version = field<number>(existing.json, 'version');
      await request('PUT', path, version === undefined ? ds : { ...ds, version });
      return { uid: ds.uid, created: false };
    },

    async upsertDashboard(dashboard, { folderUid, message }) {
      // `id` is per Grafana instance: dropping it makes the uid decide which dashboard is replaced.
      const { id: _id, ...model } = dashboard;
      const { json } = await request('POST', '/dashboards/db', {
        dashboard: model,
        folderUid,
        overwrite: true,
        message: message ?? 'emissions dashboards push',
      });
      const saved: SavedDashboard = { uid: field<string>(json, 'uid') ?? dashboard.uid ?? '' };
      const url = field<string>(json, 'url');
      const version = field<number>(json, 'version');
      const status = field<string>(json, 'status');
      if (url !== undefined) saved.url = url;
      if (version !== undefined) saved.version = version;
      if (status !== undefined) saved.status = status;
      return saved;
    },

    async createAnnotation(a) {
      const { json } = await request('POST', '/annotations', a);
      const id = field<number>(json, 'id');
      if (typeof id !== 'number') {
        throw new GrafanaApiError(
          'DSH_GRAFANA_HTTP',
          'Grafana POST /api/annotations answered without an id',
          'POST',
          '/annotations',
          200,
        );
      }
      return id;
    },

    async updateAnnotation(id, a) {
      await request('PUT', `/annotations/${id}`, a);
    },
  };
}
