import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Reading } from '../../ingest/reading.js';

/**
 * Test and bench helpers (not used in production): real loopback receivers standing in for a webhook,
 * DingTalk and WeCom robots (one node:http server, told apart by path) and an SMTP server in process.
 * Waiting is event-driven with a bounded timeout: no sleeps.
 */
export interface Captured {
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  at: number;
  /** performance.now() at arrival (latency benches). */
  perf: number;
}

export interface HttpReceiver {
  readonly url: string;
  readonly requests: Captured[];
  /** Resolves when `pred` matches at least `n` requests; rejects after `timeoutMs`. */
  waitFor(pred: (c: Captured) => boolean, n?: number, timeoutMs?: number): Promise<Captured[]>;
  /** Status to answer with (per path), for retry tests. */
  failNext(path: string, times: number, status?: number): void;
  close(): Promise<void>;
}

async function waitUntil<T>(
  emitter: EventEmitter,
  check: () => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const first = check();
  if (first !== undefined) return first;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    for (;;) {
      try {
        await once(emitter, 'item', { signal: ac.signal });
      } catch {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      const r = check();
      if (r !== undefined) return r;
    }
  } finally {
    clearTimeout(timer);
  }
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: Captured[] = [];
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  const failures = new Map<string, { times: number; status: number }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const fail = failures.get(url.pathname);
      if (fail && fail.times > 0) {
        fail.times--;
        res.writeHead(fail.status).end('unavailable');
        return;
      }
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // keep {}
      }
      requests.push({
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        at: Date.now(),
        perf: performance.now(),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
      emitter.emit('item');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor(pred, n = 1, timeoutMs = 10_000) {
      return waitUntil(
        emitter,
        () => {
          const hits = requests.filter(pred);
          return hits.length >= n ? hits : undefined;
        },
        timeoutMs,
        `${n} matching HTTP request(s)`,
      );
    },
    failNext(path, times, status = 503) {
      failures.set(path, { times, status });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly mails: Mail[];
  waitFor(pred: (m: Mail) => boolean, n?: number, timeoutMs?: number): Promise<Mail[]>;
  close(): Promise<void>;
}

/** RFC 2047 encoded words (nodemailer's UTF-8 subjects), B and Q forms. */
export function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = raw.split(/\r?\n\r?\n/)[0] ?? '';
        const m = /^Subject:(.*(?:\r?\n[ \t].*)*)/im.exec(header);
        const subject = decodeWords((m?.[1] ?? '').replace(/\r?\n[ \t]/g, ' ').trim());
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, subject });
        callback();
        emitter.emit('item');
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    waitFor(pred, n = 1, timeoutMs = 10_000) {
      return waitUntil(
        emitter,
        () => {
          const hits = mails.filter(pred);
          return hits.length >= n ? hits : undefined;
        },
        timeoutMs,
        `${n} matching mail(s)`,
      );
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A CN 2011 real-time reading as the intake produces it. */
export function rtdReading(
  mn: string,
  t: number,
  values: Record<string, { rtd?: number; flag?: string }>,
  kind: Reading['kind'] = 'rtd',
): Reading {
  return {
    mn,
    st: '31',
    cn: kind === 'rtd' ? '2011' : kind === 'minute' ? '2051' : kind === 'hour' ? '2061' : '2031',
    kind,
    dataTime: new Date(t),
    receivedAt: new Date(t),
    source: 'mqtt-json',
    values: Object.entries(values).map(([code, v]) => {
      const out: Reading['values'][number] = { code };
      if (v.rtd !== undefined) {
        if (kind === 'rtd') out.rtd = v.rtd;
        else out.avg = v.rtd;
      }
      if (v.flag !== undefined) out.flag = v.flag;
      return out;
    }),
  };
}
