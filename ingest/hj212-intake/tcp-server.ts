import { createServer, type Server, type Socket } from 'node:net';
import { listen } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import { type FramerOutput, Hj212StreamFramer } from '../hj212/index.js';
import type { Intake } from '../intake.js';
import type { IngestMetrics } from '../metrics.js';
import type { Hj212Config } from './config.js';
import type { Hj212FrameHandler, Hj212Session } from './frame-handler.js';

/**
 * HJ 212 over TCP (the standard's own transport, STD §5): a thin adapter that moves bytes between sockets
 * and the frame handler.
 *
 * - Framing per connection with Hj212StreamFramer (several frames per read, a frame over many reads,
 *   garbage between frames; hj212.md §8.10). Its buffer is capped (`maxFrameBytes`); a candidate that
 *   outgrows it is discarded and counted (emissions_hj212_frame_overflows_total).
 * - Frames of one connection are handled strictly in order; while a chunk's frames are being handled the
 *   socket is paused, so a gateway that sends faster than the spool syncs is slowed by TCP flow control
 *   (memory per connection: the framer buffer plus one read chunk).
 * - 9014 is written on the same connection after the reading is durable (frame-handler.ts).
 * - Limits: connections in total and per source address (refused by closing at once, counted as
 *   ING_HJ212_CONN_LIMIT); idle timeout (closed, counted).
 * - Online/offline: the first authenticated frame of an MN on a connection makes it online; when its last
 *   connection closes it is offline (counted per MN, so a reconnect before the old socket dies is no flap).
 */

export interface Hj212TcpServerDeps {
  /** Started and stopped by its owner (index.ts); shared with the MQTT decoder. */
  handler: Hj212FrameHandler;
  intake: Intake;
  metrics: IngestMetrics;
  log: Logger;
}

export interface Hj212TcpServer {
  start(): Promise<void>;
  /** Idempotent: stops accepting, lets frames being handled finish (bounded), closes every connection. */
  stop(deadlineMs?: number): Promise<void>;
  /** Port actually bound (port 0 in tests). */
  readonly port: number;
  readonly listening: boolean;
  /** Open connections. */
  readonly connections: number;
}

interface Connection {
  socket: Socket;
  address: string;
  /** Frames of this connection are handled one after another on this chain. */
  chain: Promise<void>;
  mns: Set<string>;
  closed: boolean;
  /** Resolves when the connection's cleanup (offline states) is done. */
  finished: Promise<void>;
}

const DEFAULT_STOP_DEADLINE_MS = 5000;
/** Frames of one connection handled at once (bounded: at most this many readings in flight per connection). */
const PIPELINE_DEPTH = 64;
const TRANSPORT = 'hj212-tcp';

export function createHj212TcpServer(opts: Hj212Config['tcp'], deps: Hj212TcpServerDeps): Hj212TcpServer {
  const { handler, intake, metrics, log } = deps;
  const m = metrics.hj212;
  const connections = new Set<Connection>();
  const perAddress = new Map<string, number>();
  /** Open connections per authenticated MN (online while > 0). */
  const onlineMns = new Map<string, number>();
  let server: Server | undefined;
  let boundPort = 0;
  let stopping: Promise<void> | undefined;

  function setOnline(mn: string): void {
    const n = onlineMns.get(mn) ?? 0;
    onlineMns.set(mn, n + 1);
    if (n > 0) return;
    metrics.connectedGateways.inc({ transport: TRANSPORT });
    intake
      .deviceState(mn, true, TRANSPORT)
      .catch((err: unknown) => log.error({ err, mn }, 'device state not recorded'));
  }

  async function setOffline(mn: string): Promise<void> {
    const n = onlineMns.get(mn) ?? 0;
    if (n > 1) {
      onlineMns.set(mn, n - 1);
      return;
    }
    onlineMns.delete(mn);
    metrics.connectedGateways.dec({ transport: TRANSPORT });
    await intake
      .deviceState(mn, false, TRANSPORT)
      .catch((err: unknown) => log.error({ err, mn }, 'device state not recorded'));
  }

  /** A frame's handling, to be answered in stream order. Never rejects. */
  async function handleOne(conn: Connection, session: Hj212Session, frame: Buffer): Promise<string[]> {
    try {
      return (await handler.handle(frame, session)).replies;
    } catch (err) {
      // handle() reports its own outcomes; a throw is a bug, which must not kill the connection's chain.
      log.error({ err, address: conn.address }, 'HJ 212 frame handler failed');
      return [];
    }
  }

  /**
   * Handles the frames of one read. Up to PIPELINE_DEPTH of them are handled concurrently, so their
   * readings share one spool sync (group commit) instead of one sync each; replies are still written
   * in stream order, each after its own frame's reading is durable.
   */
  async function process(conn: Connection, session: Hj212Session, outputs: FramerOutput[]): Promise<void> {
    let batch: Promise<string[]>[] = [];
    const answer = async () => {
      for (const pending of batch) {
        for (const reply of await pending) if (!conn.closed && conn.socket.writable) conn.socket.write(reply);
      }
      batch = [];
    };
    for (const out of outputs) {
      if (out.type === 'frame') {
        metrics.received.inc({ transport: TRANSPORT });
        batch.push(handleOne(conn, session, out.frame));
        if (batch.length >= PIPELINE_DEPTH) await answer();
      } else if (out.type === 'garbage') {
        m.garbageBytes.inc(out.bytes);
        log.debug(
          { address: conn.address, bytes: out.bytes, head: out.head.toString('latin1') },
          'HJ 212: bytes outside frames skipped',
        );
      } else {
        m.frameOverflows.inc();
        intake.reject(
          'ING_HJ212_FRAME_OVERFLOW',
          `frame candidate of ${out.bytes} bytes exceeded the ${opts.maxFrameBytes}-byte buffer`,
          { transport: TRANSPORT },
        );
      }
    }
    await answer();
  }

  function refuse(socket: Socket, address: string, why: string): void {
    metrics.connectionsRefused.inc({ reason: 'ING_HJ212_CONN_LIMIT' });
    m.tcpClosed.inc({ reason: 'refused' });
    intake.reject('ING_HJ212_CONN_LIMIT', why, { transport: TRANSPORT });
    log.debug({ address }, why);
    socket.on('error', () => undefined);
    // Polite: FIN, not RST; whatever the peer already sent is discarded.
    socket.resume();
    socket.end();
    socket.destroySoon();
  }

  function accept(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    if (stopping) {
      socket.destroy();
      return;
    }
    if (connections.size >= opts.maxConnections) {
      refuse(socket, address, `HJ 212 connection refused: ${opts.maxConnections} connections open`);
      return;
    }
    const fromAddress = perAddress.get(address) ?? 0;
    if (fromAddress >= opts.maxConnectionsPerAddress) {
      refuse(
        socket,
        address,
        `HJ 212 connection refused: ${opts.maxConnectionsPerAddress} connections open from this address`,
      );
      return;
    }
    perAddress.set(address, fromAddress + 1);
    // Replies are small and latency-bound (the gateway waits for its 9014): no Nagle delay.
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleTimeoutMs);
    m.tcpConnections.inc();

    let closeReason: 'peer' | 'idle' | 'error' | 'stop' = 'peer';
    let resolveFinished: () => void = () => {};
    const conn: Connection = {
      socket,
      address,
      chain: Promise.resolve(),
      mns: new Set(),
      closed: false,
      finished: new Promise<void>((resolve) => {
        resolveFinished = resolve;
      }),
    };
    connections.add(conn);
    const framer = new Hj212StreamFramer({ maxBufferBytes: opts.maxFrameBytes });
    const session: Hj212Session = {
      transport: TRANSPORT,
      // Replies are taken from each frame's result and written in order by process().
      send: () => Promise.resolve(),
      onAuthenticated(mn) {
        if (conn.mns.has(mn) || conn.closed) return;
        conn.mns.add(mn);
        setOnline(mn);
      },
    };

    socket.on('data', (chunk: Buffer) => {
      const outputs = framer.push(chunk);
      if (outputs.length === 0) return;
      socket.pause();
      conn.chain = conn.chain
        .then(() => process(conn, session, outputs))
        .then(() => {
          if (!conn.closed && !stopping) socket.resume();
        });
    });
    socket.on('end', () => {
      // The peer finished sending: answer what it sent, then close our side.
      conn.chain = conn.chain.then(() => {
        if (!socket.destroyed) socket.end();
      });
    });
    socket.on('timeout', () => {
      closeReason = 'idle';
      intake.reject('ING_HJ212_IDLE_TIMEOUT', `no data for ${opts.idleTimeoutMs} ms`, {
        ...(conn.mns.size > 0 && { mn: [...conn.mns][0] }),
        transport: TRANSPORT,
      });
      socket.destroy();
    });
    socket.on('error', (err) => {
      if (closeReason === 'peer') closeReason = 'error';
      log.debug({ address, err: err.message }, 'HJ 212 connection error');
    });
    socket.on('close', () => {
      conn.closed = true;
      if (stopping && closeReason === 'peer') closeReason = 'stop';
      m.tcpClosed.inc({ reason: closeReason });
      m.tcpConnections.dec();
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
      // A frame without terminator at the very end is still data (hj212.md §8.11); replies cannot go out.
      const rest = framer.flush();
      conn.chain = conn.chain
        .then(() => process(conn, session, rest))
        .then(async () => {
          for (const mn of conn.mns) await setOffline(mn);
          connections.delete(conn);
          resolveFinished();
        });
    });
  }

  return {
    get port() {
      return boundPort;
    },
    get listening() {
      return server?.listening ?? false;
    },
    get connections() {
      return connections.size;
    },
    async start() {
      if (server) return;
      // Half-open allowed: a sender that shuts down its side after the last frame still gets its 9014.
      const srv = createServer({ allowHalfOpen: true }, accept);
      server = srv;
      boundPort = await listen(srv, opts.port, opts.host);
      log.info({ host: opts.host, port: boundPort }, 'HJ 212 TCP listener started');
    },
    stop(deadlineMs = DEFAULT_STOP_DEADLINE_MS) {
      stopping ??= (async () => {
        const srv = server;
        const serverClosed = srv?.listening
          ? new Promise<void>((resolve) => srv.close(() => resolve()))
          : Promise.resolve();
        // Frames already read are finished (their readings reach the spool, their 9014 goes out) …
        for (const conn of connections) conn.socket.pause();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        });
        await Promise.race([Promise.all([...connections].map((c) => c.chain)), deadline]);
        // … then every connection is closed and its devices recorded offline.
        for (const conn of connections) conn.socket.destroy();
        await Promise.race([Promise.all([...connections].map((c) => c.finished)), deadline]);
        clearTimeout(timer);
        await serverClosed;
        log.info('HJ 212 TCP listener stopped');
      })();
      return stopping;
    },
  };
}
