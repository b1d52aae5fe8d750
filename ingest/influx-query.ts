import { requestSignal } from './influx-writer.js';

/**
 * Minimal InfluxQL client over the 1.x `/query` endpoint (also served by InfluxDB 1.8+/2.x through
 * DBRP mappings, and 3.x). Used by tests, the readiness check, dashboard tests and the alerting engine.
 * Timestamps come back as epoch milliseconds (`epoch=ms`).
 */

export type InfluxValue = string | number | boolean | null;

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: InfluxValue[][];
}

export interface InfluxQueryTarget {
  url: string;
  db?: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface InfluxQueryOptions {
  /**
   * Defaults to GET for read-only statements (SELECT/SHOW without INTO) and POST otherwise: InfluxDB 1.x
   * deprecates writes over GET and answers them with a warning.
   */
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
}

/** InfluxDB answered with an `error` (whole request or one statement) or a non-2xx status. */
export class InfluxQueryError extends Error {
  override readonly name = 'InfluxQueryError';
  constructor(
    message: string,
    readonly status: number,
    readonly statementId?: number,
  ) {
    super(message);
  }
}

interface RawStatement {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

interface RawResponse {
  results?: RawStatement[];
  error?: string;
}

const READ_ONLY = /^\s*(select|show)\b/i;

function isReadOnly(q: string): boolean {
  // Coarse but safe: any INTO or non-SELECT/SHOW statement anywhere makes it a POST.
  return q
    .split(';')
    .filter((s) => s.trim() !== '')
    .every((s) => READ_ONLY.test(s) && !/\binto\b/i.test(s));
}

/** Quotes an identifier (database, measurement, tag or field key) for InfluxQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Quotes a string literal (tag value in WHERE) for InfluxQL. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Runs one or more `;`-separated statements; returns each statement's series (empty array if none). */
export async function influxQuery(
  target: InfluxQueryTarget,
  q: string,
  opts: InfluxQueryOptions = {},
): Promise<InfluxSeries[][]> {
  const method = opts.method ?? (isReadOnly(q) ? 'GET' : 'POST');
  const base = target.url.endsWith('/') ? target.url : `${target.url}/`;
  const url = new URL('query', base);
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (target.db) params.set('db', target.db);
  if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
  const headers: Record<string, string> = {};
  if (target.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
  }
  const request = requestSignal(target.timeoutMs ?? 10_000, opts.signal);
  const { signal } = request;
  let res: Response;
  let text: string;
  try {
    if (method === 'GET') {
      url.search = params.toString();
      res = await fetch(url, { headers, signal });
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      res = await fetch(url, { method: 'POST', headers, body: params.toString(), signal });
    }
    text = await res.text();
  } finally {
    request.dispose();
  }
  let parsed: RawResponse;
  try {
    parsed = JSON.parse(text) as RawResponse;
  } catch {
    throw new InfluxQueryError(
      `InfluxDB /query answered HTTP ${res.status}: ${text.slice(0, 500)}`,
      res.status,
    );
  }
  if (parsed.error !== undefined) throw new InfluxQueryError(`InfluxQL error: ${parsed.error}`, res.status);
  if (!res.ok) throw new InfluxQueryError(`InfluxDB /query answered HTTP ${res.status}`, res.status);
  return (parsed.results ?? []).map((r, i) => {
    if (r.error !== undefined) {
      throw new InfluxQueryError(
        `InfluxQL error in statement ${r.statement_id ?? i}: ${r.error}`,
        res.status,
        i,
      );
    }
    return r.series ?? [];
  });
}

/** Runs a single statement and returns its series. */
export async function influxQueryOne(
  target: InfluxQueryTarget,
  q: string,
  opts?: InfluxQueryOptions,
): Promise<InfluxSeries[]> {
  const [first] = await influxQuery(target, q, opts);
  return first ?? [];
}

/** Series rows as objects keyed by column, with the series' tags merged in (handy for assertions). */
export function seriesRows(series: readonly InfluxSeries[]): Array<Record<string, InfluxValue>> {
  const rows: Array<Record<string, InfluxValue>> = [];
  for (const s of series) {
    for (const values of s.values) {
      const row: Record<string, InfluxValue> = { ...s.tags };
      s.columns.forEach((column, i) => {
        row[column] = values[i] ?? null;
      });
      rows.push(row);
    }
  }
  return rows;
}

/** `CREATE DATABASE` (idempotent in InfluxDB 1.x). */
export async function createDatabase(
  url: string,
  db: string,
  auth?: { username: string; password?: string },
): Promise<void> {
  await influxQuery({ url, ...auth }, `CREATE DATABASE ${quoteIdent(db)}`, { method: 'POST' });
}
