import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip, constants as zlibConstants } from 'node:zlib';
import { PipelineError } from '../core/errors.js';

/**
 * HTTP adapter that writes line protocol to InfluxDB: `/write` (1.x, and 1.8+/2.x/3.x compatibility) or
 * `/api/v2/write` (1.8+, 2.x, 3.x, VictoriaMetrics). It only does I/O and classifies failures; batching,
 * retries and the spool are the caller's (ingest/write-buffer.ts).
 *
 * Writes go through node:http with a keep-alive agent, so a busy sink reuses a handful of sockets, and
 * the whole body is handed to the socket in one `end(body)`: the kernel and libuv move a 2 MiB batch
 * without further JavaScript. (fetch streams a body through undici chunk by chunk, each chunk waiting
 * for an event-loop turn; with 1 000 busy gateways on the same loop that starved the spool drain.)
 *
 * Failure classes (PipelineError codes):
 * - SINK_WRITE_RETRIABLE: network error, timeout, caller abort, 408, 429, 5xx. `details.retryAfterMs`
 *   carries the server's Retry-After; `details.status`/`details.body` when there was a response.
 * - SINK_WRITE_REJECTED: any other 4xx. `details.status`, `details.body` (InfluxDB's answer),
 *   `details.partial` when the server wrote the lines it could (1.x answers 400 "partial write: …
 *   dropped=N" and stores the rest), `details.dropped` when it says how many it dropped. 401/403/404
 *   also land here: nothing is wrong with the data, but retrying cannot help until config changes.
 * Passwords and tokens never appear in messages, `describe` or details (they travel only in headers).
 */
export type InfluxTarget =
  | { api: 'v1'; url: string; db: string; retentionPolicy?: string; username?: string; password?: string }
  | { api: 'v2'; url: string; org: string; bucket: string; token: string };

export interface InfluxWriterOptions {
  /** Whole-request deadline (connect + upload + answer). */
  timeoutMs: number;
  /**
   * Gzip request bodies. Off by default: on loopback or a LAN it costs more CPU than it saves
   * (reference/anchors.md); worth it over a slow WAN link to a hosted InfluxDB.
   */
  gzip?: boolean;
}

export interface InfluxWriter {
  /**
   * Writes lines, or one newline-joined body (string, or UTF-8 bytes straight from the spool, which
   * saves decoding and re-encoding every batch); resolves when InfluxDB has accepted them.
   */
  write(lines: readonly string[] | string | Uint8Array, signal?: AbortSignal): Promise<void>;
  /** True when the server answers its liveness endpoint; never throws. */
  ping(): Promise<boolean>;
  /** Where this writer writes, for logs; contains no secrets. */
  readonly describe: string;
}

const gzipAsync = promisify(gzip);
/** Largest part of an error body kept in details (InfluxDB can list thousands of bad lines). */
const MAX_BODY_CHARS = 64 * 1024;
/** Largest part of InfluxDB's error text put into the message, which ends up in single log lines. */
const MAX_REASON_CHARS = 500;

interface Endpoint {
  writeUrl: string;
  pingUrls: string[];
  headers: Record<string, string>;
  describe: string;
  secrets: string[];
}

/** Splits credentials out of a base URL (`http://user:pass@host` is not allowed by fetch anyway). */
function parseBase(raw: string): { base: URL; user: string; pass: string } {
  const base = new URL(raw);
  const user = decodeURIComponent(base.username);
  const pass = decodeURIComponent(base.password);
  base.username = '';
  base.password = '';
  base.search = '';
  base.hash = '';
  // A path prefix (reverse proxy) must survive: resolve endpoints relative to a trailing-slash base.
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return { base, user, pass };
}

function endpoint(target: InfluxTarget): Endpoint {
  const { base, user, pass } = parseBase(target.url);
  const origin = base.href.replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  const secrets: string[] = [];
  if (target.api === 'v1') {
    const url = new URL('write', base);
    url.searchParams.set('db', target.db);
    if (target.retentionPolicy) url.searchParams.set('rp', target.retentionPolicy);
    url.searchParams.set('precision', 'ms');
    const username = target.username ?? (user || undefined);
    const password = target.password ?? pass;
    if (username !== undefined) {
      // Basic auth rather than u=/p= query parameters keeps the password out of URLs and access logs.
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      if (password) secrets.push(password);
    }
    const rp = target.retentionPolicy ? ` rp=${target.retentionPolicy}` : '';
    return {
      writeUrl: url.href,
      pingUrls: [new URL('ping', base).href],
      headers,
      describe: `influxdb v1 ${origin} db=${target.db}${rp}`,
      secrets,
    };
  }
  const url = new URL('api/v2/write', base);
  url.searchParams.set('org', target.org);
  url.searchParams.set('bucket', target.bucket);
  url.searchParams.set('precision', 'ms');
  if (target.token) {
    headers.authorization = `Token ${target.token}`;
    secrets.push(target.token);
  }
  return {
    writeUrl: url.href,
    // InfluxDB 2.x/3.x and VictoriaMetrics answer /ping with 204; /health is the fallback for servers without it.
    pingUrls: [new URL('ping', base).href, new URL('health', base).href],
    headers,
    describe: `influxdb v2 ${origin} org=${target.org} bucket=${target.bucket}`,
    secrets,
  };
}

export interface RequestSignal {
  readonly signal: AbortSignal;
  /** True when the deadline (not the caller) aborted the request. */
  timedOut(): boolean;
  /** Clears the timer and the listener on the caller's signal; call when the request is over. */
  dispose(): void;
}

/**
 * One request's abort signal: the caller's signal or the deadline, whichever comes first. Not
 * `AbortSignal.any`: with a long-lived caller signal (a component's stop signal passed to every write)
 * Node 20/22 keep every combined signal alive (nodejs/node#55351), a leak on the hot path.
 */
export function requestSignal(timeoutMs: number, caller?: AbortSignal): RequestSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(caller?.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  if (caller?.aborted) onCallerAbort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** InfluxDB 1.x answers `{"error": …}`, 2.x/3.x `{"code", "message"}`, VictoriaMetrics plain text. */
function errorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const { error, message } = parsed as { error?: unknown; message?: unknown };
      if (typeof error === 'string') return error;
      if (typeof message === 'string') return message;
    }
  } catch {
    // not JSON: use the text as is
  }
  return body.trim();
}

function networkReason(err: unknown): { reason: string; code?: string } {
  // node:http reports the socket error (ECONNREFUSED, ECONNRESET, …) itself; undici (fetch) as its cause.
  const own = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  if (own && err instanceof Error) return { reason: err.message, code: own };
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? { reason: cause.message, code } : { reason: cause.message };
  }
  return { reason: err instanceof Error ? err.message : String(err) };
}

interface HttpAnswer {
  status: number;
  text: string;
  retryAfter: string | null;
}

/** POSTs `body` in one piece and reads the whole answer; rejects on network errors and on `signal`. */
function post(
  url: URL,
  agent: HttpAgent,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      { method: 'POST', agent, signal, headers: { ...headers, 'content-length': String(body.length) } },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) return reject(new Error('connection closed before the answer was complete'));
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function createInfluxWriter(target: InfluxTarget, opts: InfluxWriterOptions): InfluxWriter {
  const ep = endpoint(target);
  const { describe } = ep;
  const writeUrl = new URL(ep.writeUrl);
  // Idle keep-alive sockets are unref'd by the agent: they never hold the process open.
  const agent =
    writeUrl.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });

  function scrub(text: string): string {
    let out = text;
    for (const secret of ep.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  async function send(body: string | Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    const headers = { ...ep.headers };
    let payload: Buffer =
      typeof body === 'string'
        ? Buffer.from(body, 'utf8')
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (opts.gzip) {
      // Level 1: most of line protocol's redundancy goes at a fraction of the default level's CPU.
      payload = await gzipAsync(body, { level: zlibConstants.Z_BEST_SPEED });
      headers['content-encoding'] = 'gzip';
    }
    const request = requestSignal(opts.timeoutMs, signal);
    let status = 0;
    let text: string;
    let retryAfterMs: number | undefined;
    try {
      // The whole answer is read: an unread body would pin the keep-alive connection.
      const answer = await post(writeUrl, agent, headers, payload, request.signal);
      status = answer.status;
      retryAfterMs = parseRetryAfter(answer.retryAfter);
      text = answer.text;
    } catch (err) {
      const timedOut = request.timedOut();
      const aborted = !timedOut && signal?.aborted === true;
      const { reason, code } = timedOut
        ? { reason: `no answer within ${opts.timeoutMs} ms`, code: 'TIMEOUT' }
        : aborted
          ? { reason: 'aborted by caller', code: 'ABORTED' }
          : networkReason(err);
      throw new PipelineError(
        'SINK_WRITE_RETRIABLE',
        `InfluxDB write to ${describe} failed: ${scrub(reason)}`,
        { code, ...(status ? { status } : {}), timedOut, aborted },
        { cause: err },
      );
    } finally {
      request.dispose();
    }
    if (status >= 200 && status < 300) return;
    const bodyText = scrub(text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text);
    const reason = errorText(bodyText).slice(0, MAX_REASON_CHARS) || `HTTP ${status}`;
    if (status === 408 || status === 429 || status >= 500) {
      throw new PipelineError(
        'SINK_WRITE_RETRIABLE',
        `InfluxDB write to ${describe} failed with HTTP ${status}: ${reason}`,
        { status, body: bodyText, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      );
    }
    const partial = /partial write/i.test(bodyText);
    const dropped = /dropped=(\d+)/.exec(bodyText);
    throw new PipelineError(
      'SINK_WRITE_REJECTED',
      `InfluxDB ${describe} rejected the write (HTTP ${status}): ${reason}`,
      {
        status,
        body: bodyText,
        partial,
        ...(dropped ? { dropped: Number(dropped[1]) } : {}),
      },
    );
  }

  async function probe(url: string): Promise<number> {
    const request = requestSignal(opts.timeoutMs);
    try {
      const res = await fetch(url, { signal: request.signal });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    } finally {
      request.dispose();
    }
  }

  return {
    describe,
    write(lines, signal) {
      const body = typeof lines === 'string' || lines instanceof Uint8Array ? lines : lines.join('\n');
      if (body.length === 0) return Promise.resolve();
      return send(body, signal);
    },
    async ping() {
      for (const url of ep.pingUrls) {
        const status = await probe(url);
        if (status >= 200 && status < 300) return true;
        // Only "no such endpoint" justifies trying the next one; anything else is a real answer.
        if (status !== 404) return false;
      }
      return false;
    },
  };
}
