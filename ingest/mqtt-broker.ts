import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Registry } from '../config/registry.js';
import { listen } from '../core/listen.js';
import type { Logger } from '../core/logger.js';
import type { Intake } from './intake.js';
import type { IngestMetrics } from './metrics.js';
import { isOutgoingQueuePersistence, skipEmptyOutgoingStreams } from './mqtt-outgoing.js';
import { downTopic, filterMayMatchUpTopic, parseDeviceTopic } from './topics.js';
import type { UpPayloadHandler } from './up-payload.js';

/**
 * The embedded MQTT broker (aedes) with device authentication and topic ACL.
 *
 * Intake runs inside `authorizePublish`: aedes writes a QoS 1 PUBACK only after that hook calls back
 * (node_modules/aedes/lib/handlers/publish.js), and it does not read the client's socket further while
 * the hook is pending. So a gateway's PUBACK means "buffered by the pipeline", and a full write buffer
 * slows exactly the gateways that are sending, while the others carry on.
 */
export interface MqttBrokerOptions {
  host: string;
  port: number;
  allowAnonymous: boolean;
  maxPayloadBytes: number;
}

export interface MqttBrokerDeps {
  registry: Registry;
  intake: Intake;
  upPayload: UpPayloadHandler;
  metrics: IngestMetrics;
  log: Logger;
}

export interface MqttBroker {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Port actually bound (useful with port 0 in tests). */
  readonly port: number;
  readonly listening: boolean;
  /** Publishes to a device's down topic (HJ 212 replies, rejection notices). */
  publishDown(mn: string, payload: string | Buffer): Promise<void>;
}

/** Aedes error codes for CONNACK (MQTT 3.1.1 §3.2.2.3). */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function passwordsEqual(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of the guess.
  return given.length === want.length ? timingSafeEqual(given, want) : !timingSafeEqual(want, want);
}

export async function createMqttBroker(opts: MqttBrokerOptions, deps: MqttBrokerDeps): Promise<MqttBroker> {
  const { registry, intake, upPayload, metrics, log } = deps;
  /** MN of each authenticated client; `null` for an anonymous client (only when allowed). */
  const clientMn = new WeakMap<Client, string | null>();
  let server: Server | undefined;
  let boundPort = 0;
  let stopped = false;
  /**
   * Set for good once any client subscribes to a filter that can match an up topic (a persistent session
   * keeps its subscriptions while offline, so it is never cleared). Until then no one can receive an up
   * message, and aedes' routing of each one is skipped (see `publish` below).
   */
  let upTopicsWatched = false;
  // Bound once: `inc({ transport })` would hash the label object for every message.
  const receivedMqtt = metrics.received.labels({ transport: 'mqtt' });

  const aedes = await Aedes.createBroker({
    // A stalled client must not hold its buffered packets forever.
    drainTimeout: 30_000,
    authenticate(client, username, password, done) {
      if (username === undefined || username === '') {
        if (opts.allowAnonymous) {
          clientMn.set(client, null);
          return done(null, true);
        }
        metrics.connectionsRefused.inc({ reason: 'ING_AUTH_ANONYMOUS' });
        intake.reject('ING_AUTH_ANONYMOUS', 'anonymous CONNECT refused', { transport: 'mqtt' });
        return done(authError('anonymous access is off', NOT_AUTHORIZED), false);
      }
      const site = registry.findByMn(username);
      if (!site) {
        metrics.connectionsRefused.inc({ reason: 'ING_AUTH_UNKNOWN_DEVICE' });
        intake.reject('ING_AUTH_UNKNOWN_DEVICE', `CONNECT from unregistered MN`, {
          mn: username,
          transport: 'mqtt',
        });
        return done(authError('unknown device', BAD_USERNAME_OR_PASSWORD), false);
      }
      if (!password || !passwordsEqual(password, site.gateway.password)) {
        metrics.connectionsRefused.inc({ reason: 'ING_AUTH_BAD_PASSWORD' });
        intake.reject('ING_AUTH_BAD_PASSWORD', 'CONNECT with a wrong password', {
          mn: username,
          transport: 'mqtt',
        });
        return done(authError('bad password', BAD_USERNAME_OR_PASSWORD), false);
      }
      clientMn.set(client, username);
      done(null, true);
    },
    authorizeSubscribe(client, subscription, done) {
      const mn = clientMn.get(client);
      // Anonymous mode is a lab setting: no ACL. Otherwise a device may read only its own topics
      // (its replies and commands).
      if (mn === null || (mn !== undefined && subscription.topic.startsWith(`emissions/${mn}/`))) {
        if (!upTopicsWatched && filterMayMatchUpTopic(subscription.topic)) {
          upTopicsWatched = true;
          log.info(
            { mn, topic: subscription.topic },
            'a client watches up topics: up messages are forwarded',
          );
        }
        return done(null, subscription);
      }
      log.warn({ mn, topic: subscription.topic }, 'subscription refused');
      done(new Error('subscription not allowed'));
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // broker-internal publish (e.g. our own down messages)
      const mn = clientMn.get(client);
      const target = parseDeviceTopic(packet.topic);
      const ownTopic =
        target && (mn === null ? registry.findByMn(target.mn) !== undefined : target.mn === mn);
      if (!target || !ownTopic || target.leaf === 'down') {
        // Disconnecting is the only refusal MQTT 3.1.1 has; acking would forward a spoofed message.
        const code = target ? 'ING_TOPIC_FORBIDDEN' : 'ING_TOPIC_UNKNOWN';
        intake.reject(code, `publish to ${packet.topic} refused`, {
          mn: mn ?? undefined,
          transport: 'mqtt',
          topic: packet.topic,
        });
        return done(new Error(`publish to ${packet.topic} not allowed`));
      }
      if (target.leaf === 'state') return done(null);
      receivedMqtt.inc();
      // Readings are facts about a time, not state: a retained copy would be replayed to every new subscriber.
      packet.retain = false;
      const reply = (payload: string) => publishDown(target.mn, payload);
      upPayload.handle(target.mn, asBuffer(packet.payload), 'mqtt', reply).then(
        (outcome) => {
          // Withholding the PUBACK means disconnecting: MQTT 3.1.1 has no negative ack. The gateway
          // keeps the message (QoS 1) and sends it again after reconnecting.
          if (outcome === 'withhold')
            done(new Error('reading not stored (spool unavailable); not acknowledged'));
          else done(null);
        },
        (err: unknown) => {
          // handle() reports its own outcomes; reaching here is a bug. Not acking is the safe side.
          log.error({ err, mn: target.mn }, 'up payload handler failed');
          done(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
  });

  // An up message has reached intake (and its PUBACK been written) by the time aedes routes it: a Packet
  // copy, subscription lookups in the persistence trie and in mqemitter, the offline-queue step and a
  // `publish` event, about 6 % of serve's CPU under load, all to find no subscriber. While none can
  // exist, that routing ends here; with a watcher it runs as before. Broker-internal publishes (no
  // client: down messages, $SYS) always go through.
  const route = aedes.publish.bind(aedes) as RoutePublish;
  (aedes as unknown as { publish: RoutePublish }).publish = (packet, client, done) => {
    if (typeof client === 'function' || !client || upTopicsWatched) return route(packet, client, done);
    // Exact for a client's publish: authorizePublish admitted only its own up and state topics.
    if (!packet.topic.endsWith('/up')) return route(packet, client, done);
    done?.();
  };

  // Memory per idle gateway: most of it was garbage from aedes' per-CONNECT offline-queue replay, left in
  // V8's old space after a reconnect storm; see mqtt-outgoing.ts. `persistence` is aedes' default memory
  // persistence (created by createBroker; no client has connected yet).
  const persistence: unknown = (aedes as unknown as { persistence?: unknown }).persistence;
  if (isOutgoingQueuePersistence(persistence)) skipEmptyOutgoingStreams(persistence);
  else log.warn('aedes persistence without outgoingStream/outgoingEnqueue: per-CONNECT replay not slimmed');

  aedes.on('client', (client) => {
    const mn = clientMn.get(client);
    if (!mn) return;
    metrics.connectedGateways.inc({ transport: 'mqtt' });
    intake
      .deviceState(mn, true, 'mqtt')
      .catch((err: unknown) => log.error({ err, mn }, 'device state not recorded'));
  });
  aedes.on('clientDisconnect', (client) => {
    const mn = clientMn.get(client);
    if (!mn) return;
    metrics.connectedGateways.dec({ transport: 'mqtt' });
    intake
      .deviceState(mn, false, 'mqtt')
      .catch((err: unknown) => log.error({ err, mn }, 'device state not recorded'));
  });
  aedes.on('clientError', (client, err) => {
    log.debug({ mn: clientMn.get(client), err: err.message }, 'MQTT client error');
  });
  aedes.on('connectionError', (_client, err) => {
    log.debug({ err: err.message }, 'MQTT connection error');
  });

  function publishDown(mn: string, payload: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      aedes.publish(
        { cmd: 'publish', topic: downTopic(mn), payload, qos: 1, retain: false, dup: false },
        (err?: Error) => (err ? reject(err) : resolve()),
      );
    });
  }

  return {
    get port() {
      return boundPort;
    },
    get listening() {
      return server?.listening ?? false;
    },
    publishDown,
    async start() {
      server = createServer((socket) => {
        // mqtt.js and aedes leave Nagle on; small PUBACKs then wait for delayed ACKs (anchors.md).
        socket.setNoDelay(true);
        aedes.handle(socket);
      });
      const srv = server;
      boundPort = await listen(srv, opts.port, opts.host);
      log.info({ host: opts.host, port: boundPort }, 'MQTT broker listening');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const srv = server;
      // server.close() only stops accepting; its callback waits for open sockets, which aedes.close() ends.
      const serverClosed = srv
        ? new Promise<void>((resolve) => srv.close(() => resolve()))
        : Promise.resolve();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await serverClosed;
      log.info('MQTT broker stopped');
    },
  };
}

/** aedes' `publish` as its handlers call it (the typings only declare the two-argument form). */
type RoutePublish = (
  packet: PublishPacket,
  client: Client | null | ((error?: Error) => void),
  done?: (error?: Error) => void,
) => void;

function asBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}
