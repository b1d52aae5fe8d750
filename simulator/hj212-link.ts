import { connect, type Socket } from 'node:net';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type ConnectOutcome, createGatewayClient } from './gateway.js';

/**
 * How a simulated HJ 212 gateway's bytes travel: a TCP connection to the centre's HJ 212 listener, or
 * MQTT (frames as payloads on emissions/{mn}/up, replies from emissions/{mn}/down). The protocol logic
 * (acks, retransmission, replies) is in hj212-device.ts and does not care which.
 */
export interface Hj212Link {
  /** Settles once: first connection established, or given up (refused / deadline). */
  readonly connected: Promise<ConnectOutcome>;
  /**
   * Sends frames. Frames written while the link is down are lost (the device's retransmission covers
   * them, as on a real gateway).
   */
  write(frames: readonly string[]): void;
  /** Connections after the first. */
  reconnects(): number;
  /** Idempotent; each step bounded by `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

export interface TcpLinkOptions {
  host: string;
  port: number;
  mn: string;
  log: Logger;
  connectTimeoutMs: number;
  reconnectPeriodMs: number;
  /** Several frames per write (hj212.md §8.10): frames of one tick leave in one write. */
  sticky: boolean;
  /** Every byte its own write. */
  oneByteWrites: boolean;
  /** Bytes received from the centre. */
  onData(chunk: Buffer): void;
}

export function createTcpLink(opts: TcpLinkOptions): Hj212Link {
  const { mn, log } = opts;
  let socket: Socket | undefined;
  let connections = 0;
  let closing: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let settled = false;
  let settle: (o: ConnectOutcome) => void = () => {};
  const connected = new Promise<ConnectOutcome>((resolve) => {
    settle = (o) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(o);
    };
  });
  const deadline = setTimeout(() => {
    log.warn({ mn }, 'gateway :: HJ 212 TCP not connected within %d ms, giving up', opts.connectTimeoutMs);
    settle({ ok: false, reason: 'unreachable' });
    void close(1000);
  }, opts.connectTimeoutMs);
  /** Sticky mode: frames waiting for the end of the current tick. */
  let stickyQueue: string[] = [];
  let stickyScheduled = false;

  function open(): void {
    if (closing) return;
    const s = connect({ host: opts.host, port: opts.port, noDelay: true });
    socket = s;
    s.on('connect', () => {
      connections++;
      if (connections > 1) log.info({ mn, reconnects: connections - 1 }, 'gateway :: HJ 212 TCP reconnected');
      settle({ ok: true });
    });
    s.on('data', (chunk: Buffer) => opts.onData(chunk));
    s.on('error', (err) => log.debug({ mn, err: err.message }, 'gateway :: HJ 212 TCP error'));
    s.on('close', () => {
      if (socket === s) socket = undefined;
      if (closing) return;
      // Bounded: one attempt per period, until close() or the first-connect deadline gives up.
      reconnectTimer = setTimeout(open, opts.reconnectPeriodMs);
    });
  }

  function writeBytes(text: string): void {
    const s = socket;
    if (!s || s.connecting || s.destroyed) return;
    const bytes = Buffer.from(text, 'utf8');
    if (!opts.oneByteWrites) {
      s.write(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i++) s.write(bytes.subarray(i, i + 1));
  }

  function close(timeoutMs: number): Promise<void> {
    closing ??= (async () => {
      settle({ ok: false, reason: 'stopped before connecting' });
      clearTimeout(deadline);
      clearTimeout(reconnectTimer);
      const s = socket;
      if (!s || s.destroyed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          s.destroy();
          resolve();
        }, timeoutMs);
        s.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        s.end();
      });
    })().catch((err: unknown) => log.debug({ mn, err: errorMessage(err) }, 'gateway :: close failed'));
    return closing;
  }

  open();
  return {
    connected,
    reconnects: () => Math.max(0, connections - 1),
    write(frames) {
      if (!opts.sticky) {
        for (const f of frames) writeBytes(f);
        return;
      }
      stickyQueue.push(...frames);
      if (stickyScheduled) return;
      stickyScheduled = true;
      setImmediate(() => {
        stickyScheduled = false;
        const batch = stickyQueue.join('');
        stickyQueue = [];
        writeBytes(batch);
      });
    },
    close,
  };
}

export interface MqttLinkOptions {
  brokerUrl: string;
  mn: string;
  password: string;
  log: Logger;
  connectTimeoutMs: number;
  reconnectPeriodMs?: number;
  /** Payloads received on emissions/{mn}/down. */
  onData(payload: Buffer): void;
}

/** HJ 212 over MQTT: one frame per QoS 1 message; the 9014 (not the PUBACK) acknowledges it. */
export function createMqttLink(opts: MqttLinkOptions): Hj212Link {
  const client = createGatewayClient({
    brokerUrl: opts.brokerUrl,
    mn: opts.mn,
    password: opts.password,
    connectTimeoutMs: opts.connectTimeoutMs,
    log: opts.log,
    onDown: opts.onData,
    ...(opts.reconnectPeriodMs !== undefined && { reconnectPeriodMs: opts.reconnectPeriodMs }),
  });
  return {
    connected: client.connected,
    reconnects: () => client.reconnects(),
    write(frames) {
      for (const frame of frames) {
        client.publish(frame).catch((err: unknown) => {
          // The device's own retransmission (no 9014) covers a lost publish.
          opts.log.debug({ mn: opts.mn, err: errorMessage(err) }, 'gateway :: HJ 212 publish failed');
        });
      }
    },
    close: (timeoutMs) => client.close(timeoutMs),
  };
}
