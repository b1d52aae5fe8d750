import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { STATE_OFFLINE, STATE_ONLINE, topicState, topicUp } from './wire.js';

/**
 * The MQTT side of one virtual gateway (数采仪): identity, Last Will, online/offline state, QoS 1
 * publishing. It knows nothing about values or schedules. Reconnection and the QoS 1 resend after a
 * connection loss are mqtt.js's (publishes made while offline wait in its outgoing store).
 */

export type ConnectOutcome = { ok: true } | { ok: false; reason: string };

export interface GatewayClientOptions {
  brokerUrl: string;
  mn: string;
  password: string;
  /** The first connection must succeed within this many wall ms, or the gateway counts as failed. */
  connectTimeoutMs: number;
  log: Logger;
  /** Wall ms between reconnection attempts (mqtt.js reconnectPeriod). */
  reconnectPeriodMs?: number;
  /** HJ 212 over MQTT: receive what the centre publishes on emissions/{mn}/down (9014 replies, 1012). */
  onDown?: (payload: Buffer) => void;
}

export interface GatewayClient {
  /** Settles once: first CONNACK accepted, or refused / not within the deadline (client then ended). */
  readonly connected: Promise<ConnectOutcome>;
  /** Publishes one reading; resolves when the PUBACK arrives. */
  publish(payload: string): Promise<void>;
  /** Number of connections after the first (0 when the link never dropped). */
  reconnects(): number;
  /**
   * Clean stop: retained `offline`, DISCONNECT (so the broker drops the Last Will), end. Each step is
   * bounded by `timeoutMs`; after it the socket is destroyed. Idempotent.
   */
  close(timeoutMs: number): Promise<void>;
}

/** An MQTT CONNACK refusal carries a numeric reason code; socket errors carry strings such as ECONNREFUSED. */
function isConnackRefusal(err: unknown): boolean {
  return err instanceof Error && typeof (err as Error & { code?: unknown }).code === 'number';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createGatewayClient(opts: GatewayClientOptions): GatewayClient {
  const { mn, log } = opts;
  const stateTopic = topicState(mn);
  const upTopic = topicUp(mn);
  const options: IClientOptions = {
    clientId: `gw-${mn}`,
    username: mn,
    password: opts.password,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: opts.reconnectPeriodMs ?? 1000,
    connectTimeout: opts.connectTimeoutMs,
    will: { topic: stateTopic, payload: Buffer.from(STATE_OFFLINE), qos: 1, retain: true },
  };
  const client: MqttClient = connect(opts.brokerUrl, options);
  let connections = 0;
  let settle: (o: ConnectOutcome) => void = () => {};
  let settled = false;
  let closing: Promise<void> | undefined;

  const connected = new Promise<ConnectOutcome>((resolve) => {
    settle = (o) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(o);
    };
  });
  const deadline = setTimeout(() => {
    log.warn({ mn }, 'gateway :: not connected within %d ms, giving up', opts.connectTimeoutMs);
    settle({ ok: false, reason: 'unreachable' });
    client.end(true);
  }, opts.connectTimeoutMs);

  client.on('connect', () => {
    connections++;
    if (connections > 1) log.info({ mn, reconnects: connections - 1 }, 'gateway :: reconnected');
    // Every (re)connection overwrites the retained state: a Last Will `offline` may be sitting there.
    client.publish(stateTopic, STATE_ONLINE, { qos: 1, retain: true }, (err) => {
      if (err && !closing) log.warn({ mn, err: errorMessage(err) }, 'gateway :: online state not published');
    });
    if (opts.onDown) {
      // Subscribed on every connection (clean sessions forget subscriptions), and before the gateway counts
      // as connected: a 9014 published before the SUBACK would be lost.
      client.subscribe(`emissions/${mn}/down`, { qos: 1 }, (err) => {
        if (err && !closing) log.warn({ mn, err: errorMessage(err) }, 'gateway :: down topic not subscribed');
        settle({ ok: true });
      });
      return;
    }
    settle({ ok: true });
  });
  if (opts.onDown) {
    const onDown = opts.onDown;
    client.on('message', (_topic, payload) => onDown(payload));
  }
  client.on('error', (err) => {
    if (!settled && isConnackRefusal(err)) {
      // mqtt.js suppresses reconnection after a refusal: a wrong password will not get better by retrying.
      log.warn({ mn, err: err.message }, 'gateway :: connection refused');
      settle({ ok: false, reason: `refused: ${err.message.replace(/^Connection refused: /, '')}` });
      client.end(true);
      return;
    }
    // Socket errors before or after the first connection: mqtt.js keeps reconnecting.
    log.debug({ mn, err: err.message }, 'gateway :: connection error');
  });
  client.on('offline', () => {
    if (settled && !closing) log.warn({ mn }, 'gateway :: connection lost, reconnecting');
  });

  return {
    connected,
    reconnects: () => Math.max(0, connections - 1),
    publish(payload) {
      return new Promise<void>((resolve, reject) => {
        client.publish(upTopic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      });
    },
    close(timeoutMs) {
      closing ??= (async () => {
        settle({ ok: false, reason: 'stopped before connecting' });
        clearTimeout(deadline);
        if (client.connected) {
          const published = await withTimeout(
            client.publishAsync(stateTopic, STATE_OFFLINE, { qos: 1, retain: true }).then(
              () => 'ok' as const,
              (err: unknown) => {
                log.warn({ mn, err: errorMessage(err) }, 'gateway :: offline state not published');
                return 'error' as const;
              },
            ),
            timeoutMs,
          );
          if (published === 'ok') {
            const ended = await withTimeout(
              client.endAsync(false).catch(() => undefined),
              timeoutMs,
            );
            if (ended !== 'timeout') return;
          }
        }
        await withTimeout(
          client.endAsync(true).catch(() => undefined),
          timeoutMs,
        );
      })();
      return closing;
    },
  };
}
