import { createHmac } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { connectAsync } from 'mqtt';
import nodemailer from 'nodemailer';
import type { AlertingConfig, ChannelConfig } from '../config.js';
import type { Alarm, Transition } from '../lifecycle/book.js';
import type { RenderedMessage } from './render.js';

/**
 * Notification channels (adapters: I/O only). Each `send` resolves when the far end accepted the
 * message and throws otherwise; the outbox retries with backoff and records every attempt.
 * Channel URLs and secrets are never put into errors or logs.
 */
export interface Delivery {
  alarm: Alarm;
  transition: Transition;
  message: RenderedMessage;
  /** E-mail addresses of the enterprise's contacts (registry), for `enterpriseContacts` channels. */
  contactEmails: readonly string[];
}

export interface Channel {
  readonly id: string;
  readonly type: ChannelConfig['type'];
  send(d: Delivery, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelDeps {
  /** For DingTalk signatures. */
  now(): number;
  smtp?: AlertingConfig['smtp'];
}

/** DingTalk 加签: sign = urlencode(base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`))). */
export function dingTalkSign(timestamp: number, secret: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
  return encodeURIComponent(mac);
}

export function dingTalkUrl(url: string, secret: string | undefined, timestamp: number): string {
  if (secret === undefined) return url;
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}timestamp=${timestamp}&sign=${dingTalkSign(timestamp, secret)}`;
}

/** JSON body of the generic webhook. */
export function webhookBody(d: Delivery): Record<string, unknown> {
  const a = d.alarm;
  return {
    type: 'alarm',
    transition: d.transition,
    alarm: {
      id: a.id,
      state: a.state,
      severity: a.severity,
      rule: a.rule,
      enterprise: a.enterpriseId,
      outlet: a.outletId,
      region: a.region,
      mn: a.mn,
      pollutant: a.pollutant,
      value: a.value ?? null,
      peakValue: a.peakValue ?? null,
      limit: a.limit ?? null,
      limitMin: a.limitMin ?? null,
      unit: a.unit ?? null,
      basis: a.basis,
      windowStart: new Date(a.lastWindowStart).toISOString(),
      windowEnd: new Date(a.lastWindowEnd).toISOString(),
      openedAt: new Date(a.openedAt).toISOString(),
    },
    title: d.message.title,
    text: d.message.text,
    textZh: d.message.textZh,
    textEn: d.message.textEn,
    link: d.message.link ?? null,
  };
}

async function postJson(
  url: string,
  body: unknown,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

/** DingTalk and WeCom answer HTTP 200 with `errcode` ≠ 0 on failure. */
function checkErrcode(text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return;
  }
  if (parsed && typeof parsed === 'object' && 'errcode' in parsed) {
    const { errcode, errmsg } = parsed as { errcode: unknown; errmsg?: unknown };
    if (errcode !== 0) throw new Error(`errcode ${String(errcode)}: ${String(errmsg ?? '')}`.slice(0, 200));
  }
}

export function createChannel(cfg: ChannelConfig, deps: ChannelDeps): Channel {
  switch (cfg.type) {
    case 'webhook':
      return {
        id: cfg.id,
        type: cfg.type,
        async send(d, signal) {
          await postJson(cfg.url, webhookBody(d), signal, cfg.headers);
        },
        async close() {},
      };
    case 'dingtalk':
      return {
        id: cfg.id,
        type: cfg.type,
        async send(d, signal) {
          const url = dingTalkUrl(cfg.url, cfg.secret, deps.now());
          const body = {
            msgtype: 'markdown',
            markdown: { title: d.message.title, text: d.message.markdown },
          };
          checkErrcode(await postJson(url, body, signal));
        },
        async close() {},
      };
    case 'wecom':
      return {
        id: cfg.id,
        type: cfg.type,
        async send(d, signal) {
          checkErrcode(
            await postJson(
              cfg.url,
              { msgtype: 'markdown', markdown: { content: d.message.markdown } },
              signal,
            ),
          );
        },
        async close() {},
      };
    case 'email': {
      const smtp = deps.smtp;
      if (!smtp) throw new Error(`email channel ${cfg.id} needs the smtp section`);
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
        // Plain SMTP on a LAN relay is common in monitoring centres; STARTTLS is used when offered.
        tls: { rejectUnauthorized: false },
      });
      return {
        id: cfg.id,
        type: cfg.type,
        async send(d, signal) {
          const to = [...new Set([...cfg.to, ...(cfg.enterpriseContacts ? d.contactEmails : [])])];
          if (to.length === 0) return;
          const sending = transport.sendMail({
            from: smtp.from,
            to,
            subject: d.message.title,
            text: d.message.text,
          });
          await abortable(sending, signal);
        },
        async close() {
          transport.close();
        },
      };
    }
    case 'mqtt': {
      let client: MqttClient | undefined;
      let connecting: Promise<MqttClient> | undefined;
      const connect = () => {
        connecting ??= connectAsync(cfg.url, {
          ...(cfg.username !== undefined ? { username: cfg.username } : {}),
          ...(cfg.password !== undefined ? { password: cfg.password } : {}),
          reconnectPeriod: 1000,
          connectTimeout: 10_000,
        }).then(
          (c) => {
            client = c;
            return c;
          },
          (err: unknown) => {
            connecting = undefined;
            throw err;
          },
        );
        return connecting;
      };
      return {
        id: cfg.id,
        type: cfg.type,
        async send(d, signal) {
          const c = client ?? (await abortable(connect(), signal));
          const topic = cfg.topic
            .replaceAll('{enterprise}', d.alarm.enterpriseId)
            .replaceAll('{outlet}', d.alarm.outletId)
            .replaceAll('{severity}', d.alarm.severity);
          await abortable(c.publishAsync(topic, JSON.stringify(webhookBody(d)), { qos: 1 }), signal);
        },
        async close() {
          const c = client ?? (connecting ? await connecting.catch(() => undefined) : undefined);
          client = undefined;
          connecting = undefined;
          await c?.endAsync(true).catch(() => {});
        },
      };
    }
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
