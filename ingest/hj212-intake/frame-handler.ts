import { timingSafeEqual } from 'node:crypto';
import type { Registry } from '../../config/registry.js';
import type { Clock } from '../../core/clock.js';
import type { ErrorCode } from '../../core/errors.js';
import { formatCompactLocalTime, formatQn } from '../../core/local-time.js';
import { createLogLimiter } from '../../core/log-limiter.js';
import type { Logger } from '../../core/logger.js';
import {
  buildAck9014,
  buildNotifyAckFor,
  buildQnRtn9011,
  buildSetTime1012,
  type CrcPolicy,
  DATA_UPLOAD_CNS,
  DEVICE_NOTIFICATION_CNS,
  decodeFrame,
  type Hj212Packet,
  QN_RTN,
  type ReleasedReading,
  SplitReassembler,
  ST_SYSTEM_INTERACTION,
  splitKey,
  toReading,
} from '../hj212/index.js';
import type { Intake, Transport } from '../intake.js';
import type { IngestMetrics } from '../metrics.js';
import { KIND_BY_CN } from '../reading.js';
import type { Hj212Config } from './config.js';

/**
 * The transport-independent half of the HJ 212 intake: one complete frame (cut by the TCP framer, or one
 * MQTT payload) → CRC policy → device identity → reading → intake → reply. The adapters (tcp-server.ts,
 * mqtt-decoder.ts) only move bytes; every protocol decision is here, so it is tested without sockets.
 *
 * Reply policy (hj212.md §7; README "HJ 212"):
 * - 9014 for a data upload with Flag.A = 1 only after `intake.accept` resolved ok (the spool has synced
 *   it), or after the upload was refused for good (bad DataTime, not storable): a retransmission could
 *   not fix it, and an unanswered gateway resends forever (STD 表1 OverTime × ReCount, then keeps it).
 * - No 9014 when the spool failed (`retry`): the gateway keeps the data and sends it again.
 * - No reply at all to a frame whose CRC the policy refuses (STD 表2 "如果 CRC 错误，执行结束").
 * - Unknown MN / wrong PW: nothing stored; 9011 QnRtn=4 (MN错误) / 3 (PW错误) when the frame asked for an
 *   answer (Flag.A = 1, QN present), as 表7 defines those codes.
 * - 1013 (时间校准请求): 9013, then 1012 SystemTime when clock setting is on (表C.4).
 */

/** How one frame reached us, and how to answer on the same path. */
export interface Hj212Session {
  transport: Transport;
  /** Sends a frame to the device (TCP write, or publish on emissions/{mn}/down). Best effort. */
  send(frame: string): Promise<void>;
  /** MQTT: the MN of the topic; the frame's MN must equal it (no publishing for another device). */
  topicMn?: string;
  /** MQTT: tells the gateway why a frame was refused (JSON notice on its down topic). */
  notice?(code: ErrorCode, reason: string): Promise<void>;
  /** Called for every frame whose MN and PW were accepted (TCP: online tracking per connection). */
  onAuthenticated?(mn: string): void;
}

/** What became of a frame. `withhold` = valid but not stored (spool failure): do not acknowledge. */
export type FrameDisposition =
  | 'stored'
  | 'refused' // CRC-valid and authenticated, but refused for good (counted, still answered)
  | 'dropped' // CRC policy, bad frame, unknown MN, wrong PW, MN mismatch: nothing stored
  | 'ignored' // replies, heartbeats, requests, unknown CNs: counted only
  | 'answered' // notifications (1013) and uploads without a reading kind (2081, 3019, 3020)
  | 'withhold';

export interface FrameResult {
  disposition: FrameDisposition;
  /** Replies sent, in order (frames). */
  replies: string[];
}

/** Which kind of message a frame is, for routing and for the frames metric. */
export type FrameClass =
  | 'data' // upload with a reading kind (2011, 2051, 2061, 2031, 2021, 2041)
  | 'not_stored' // upload without one (2081 开机时间, 3019 SN, 3020 现场机信息)
  | 'notification' // 1013 时间校准请求
  | 'reply' // 9011–9014 or ST=91: answers to our requests (e.g. to 1012)
  | 'heartbeat' // vendor keep-alives: 9015 (HJ 212-2025), 9021 (hj212.md §8.14)
  | 'request' // a platform request CN without DataTime (a device echoing or misconfigured)
  | 'unknown';

const HEARTBEAT_CNS: ReadonlySet<string> = new Set(['9015', '9021']);

/** Pure routing of a decoded packet (hj212.md §3 表9, §7, §8.14). */
export function classifyPacket(packet: Hj212Packet): FrameClass {
  const { cn, st } = packet.header;
  if (HEARTBEAT_CNS.has(cn)) return 'heartbeat';
  if (st === ST_SYSTEM_INTERACTION || /^90\d\d$/.test(cn)) return 'reply';
  if (DEVICE_NOTIFICATION_CNS.has(cn)) return 'notification';
  if (DATA_UPLOAD_CNS.has(cn)) {
    // The same CNs are platform requests (2011 start real-time …): an upload carries DataTime (vectors README).
    if (packet.dataTime === undefined) return 'request';
    return Object.hasOwn(KIND_BY_CN, cn) ? 'data' : 'not_stored';
  }
  if (/^[123]\d{3}$/.test(cn)) return 'request';
  return 'unknown';
}

export type CrcFinding = 'ok' | 'modbus' | 'bad';

/** What the CRC is, whatever the policy: the frame's own finding. */
export function crcFinding(packet: Hj212Packet): CrcFinding {
  if (packet.frame.crcOk) return 'ok';
  return packet.frame.crcMatchesModbusLowFirst ? 'modbus' : 'bad';
}

/** Does `policy` accept a frame whose CRC is `finding` (ingest/hj212/packet.ts CrcPolicy)? */
export function crcAccepted(finding: CrcFinding, policy: CrcPolicy): boolean {
  if (finding === 'ok' || policy === 'off') return true;
  return finding === 'modbus' && policy === 'lenient';
}

export interface Hj212FrameHandlerDeps {
  registry: Registry;
  intake: Intake;
  metrics: IngestMetrics;
  log: Logger;
  clock: Clock;
  config: Hj212Config;
}

export interface Hj212FrameHandler {
  handle(raw: Buffer | string, session: Hj212Session): Promise<FrameResult>;
  /** Starts the split-upload expiry timer. */
  start(): void;
  /** Idempotent: stops the timer and counts split uploads still incomplete. */
  stop(): void;
}

const DRIFT_LOG_INTERVAL_MS = 10 * 60_000;
const PROBLEM_LOG_INTERVAL_MS = 60_000;
/** A 1013 (explicit request) may trigger a 1012 at most this often per device (a ping loop must not flood). */
const REQUESTED_SET_CLOCK_INTERVAL_MS = 60_000;
/** Split uploads remembered as complete, so a late retransmitted sub-packet does not open a new entry. */
const RECENT_SPLITS = 4096;

function passwordsEqual(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '', 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time independent of the guess.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}

export function createHj212FrameHandler(deps: Hj212FrameHandlerDeps): Hj212FrameHandler {
  const { registry, intake, metrics, log, clock, config } = deps;
  const m = metrics.hj212;
  const zone = registry.timeZone;
  const driftLog = createLogLimiter(DRIFT_LOG_INTERVAL_MS, clock);
  const problemLog = createLogLimiter(PROBLEM_LOG_INTERVAL_MS, clock);
  /** Last 1012 per MN (registered MNs only, so bounded by the registry). */
  const lastSetClock = new Map<string, number>();
  const splits = new SplitReassembler({
    clock,
    timeoutMs: config.split.timeoutMs,
    maxPending: config.split.maxPending,
  });
  const recentSplits = new Set<string>();
  let expiryTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  function countReleased(released: readonly ReleasedReading[]): void {
    for (const r of released) {
      const key = splitKey(r.reading);
      if (r.reason === 'complete') {
        m.splitUploads.inc({ outcome: 'complete' });
        recentSplits.add(key);
        // Bounded FIFO: Sets iterate in insertion order.
        if (recentSplits.size > RECENT_SPLITS) {
          const oldest = recentSplits.values().next().value;
          if (oldest !== undefined) recentSplits.delete(oldest);
        }
      } else {
        m.splitUploads.inc({ outcome: 'incomplete' });
        // The sub-packets that did arrive are stored (each was accepted on its own); the gap is reported.
        intake.reject(
          'ING_HJ212_SPLIT_INCOMPLETE',
          `split upload ${r.reading.cn} at ${r.reading.dataTime.toISOString()}: got sub-packets ${r.received.join(',')} of ${r.pnum} (${r.reason})`,
          { mn: r.reading.mn, transport: r.reading.source === 'hj212-tcp' ? 'hj212-tcp' : 'mqtt' },
        );
      }
    }
  }

  async function reply(session: Hj212Session, frame: string, cn: string, replies: string[]) {
    replies.push(frame);
    m.replies.inc({ cn });
    // A reply that cannot be delivered (connection gone) is the device's retransmission to handle.
    await session.send(frame).catch(() => undefined);
  }

  function refuse(
    session: Hj212Session,
    code: ErrorCode,
    reason: string,
    mn: string | undefined,
  ): Promise<void> {
    intake.reject(code, reason, { ...(mn !== undefined && { mn }), transport: session.transport });
    return session.notice ? session.notice(code, reason).catch(() => undefined) : Promise.resolve();
  }

  async function maybeSetClock(
    session: Hj212Session,
    packet: Hj212Packet,
    password: string,
    minIntervalMs: number,
    replies: string[],
  ): Promise<void> {
    if (!config.clock.setClock) return;
    const { mn, st } = packet.header;
    const now = clock.now();
    const last = lastSetClock.get(mn);
    if (last !== undefined && now - last < minIntervalMs) return;
    lastSetClock.set(mn, now);
    const frame = buildSetTime1012(
      { qn: formatQn(now, zone), st, pw: password, mn },
      formatCompactLocalTime(now, zone),
    );
    log.info({ mn }, 'HJ 212: setting device clock (1012 SystemTime)');
    await reply(session, frame, '1012', replies);
  }

  async function handleData(
    packet: Hj212Packet,
    session: Hj212Session,
    password: string,
    receivedAt: number,
    replies: string[],
  ): Promise<FrameDisposition> {
    const { header } = packet;
    const converted = toReading(packet, {
      zone,
      receivedAt: new Date(receivedAt),
      source: session.transport === 'mqtt' ? 'mqtt-hj212' : 'hj212-tcp',
    });
    const ack = buildAck9014(packet);
    if (!converted.ok) {
      // Refused for good (e.g. DataTime unparsable): answered anyway, a resend would be refused again.
      await refuse(session, converted.code, converted.reason, header.mn);
      if (ack) await reply(session, ack, '9014', replies);
      return 'refused';
    }
    const { reading, problems } = converted;
    for (const p of problems) {
      m.valueProblems.inc({ kind: p.kind });
      const suppressed = problemLog.admit(`${header.mn}|${p.kind}`);
      if (suppressed !== undefined) {
        log.warn(
          { mn: header.mn, cn: header.cn, kind: p.kind, key: p.key, value: p.value.slice(0, 64), suppressed },
          'HJ 212 value left out of the reading',
        );
      }
    }
    if (header.cn === '2011') {
      // Only real-time data: its DataTime is the sampling instant; 2051/2061/2031 carry the interval start.
      const drift = reading.dataTime.getTime() - receivedAt;
      if (Math.abs(drift) > config.clock.maxDriftMs) {
        m.clockDrift.inc();
        const suppressed = driftLog.admit(header.mn);
        if (suppressed !== undefined) {
          log.warn(
            {
              code: 'ING_HJ212_CLOCK_DRIFT',
              mn: header.mn,
              driftSeconds: Math.round(drift / 1000),
              suppressed,
            },
            'HJ 212 device clock is off',
          );
        }
        await maybeSetClock(session, packet, password, config.clock.setClockIntervalMs, replies);
      }
    }
    const outcome = await intake.accept(reading, session.transport);
    if (!outcome.ok && outcome.retry) {
      // Not durable: no 9014, so the gateway keeps the data and retransmits (README "PUBACK means stored").
      m.acksWithheld.inc();
      return 'withhold';
    }
    if (packet.split && header.pnum !== undefined && header.pno !== undefined) {
      if (!recentSplits.has(splitKey(reading))) {
        countReleased(splits.add(reading, { pnum: header.pnum, pno: header.pno }));
      }
    }
    if (ack) await reply(session, ack, '9014', replies);
    return outcome.ok ? 'stored' : 'refused';
  }

  return {
    async handle(raw, session) {
      const replies: string[] = [];
      const receivedAt = clock.now();
      // Decode with the CRC unchecked: the policy depends on the device, known only from the header.
      const decoded = decodeFrame(raw, { crcPolicy: 'off' });
      if (!decoded.ok) {
        await refuse(session, decoded.code, decoded.reason, session.topicMn);
        return { disposition: 'dropped', replies };
      }
      const packet = decoded.packet;
      const { header } = packet;
      const site = registry.findByMn(header.mn);
      const policy = site?.gateway.crcPolicy ?? config.crcPolicy;
      const finding = crcFinding(packet);
      const crcOk = crcAccepted(finding, policy);
      m.crc.inc({ verdict: finding, action: crcOk ? 'accepted' : 'dropped' });
      if (!crcOk) {
        // STD 表2: a frame with a bad CRC ends processing; no reply (the device retransmits if it wanted one).
        const frame = packet.frame;
        await refuse(
          session,
          'ING_HJ212_CRC',
          `CRC ${frame.crcTransmitted} does not match ${frame.crcComputed} (policy ${policy})`,
          header.mn,
        );
        return { disposition: 'dropped', replies };
      }
      if (session.topicMn !== undefined && header.mn !== session.topicMn) {
        await refuse(
          session,
          'ING_HJ212_MN_MISMATCH',
          `frame MN ${header.mn.slice(0, 32)} on the topic of ${session.topicMn}`,
          session.topicMn,
        );
        return { disposition: 'dropped', replies };
      }
      const cls = classifyPacket(packet);
      m.frames.inc({ class: cls, transport: session.transport });
      if (cls === 'reply' || cls === 'heartbeat' || cls === 'unknown') {
        // Answers to our 1012, keep-alives, vendor CNs: nothing to store or answer; the connection stays.
        // A keep-alive with valid credentials still shows the device is there (TCP online state).
        if (cls === 'heartbeat' && site && passwordsEqual(header.pw, site.gateway.password)) {
          session.onAuthenticated?.(header.mn);
        }
        return { disposition: 'ignored', replies };
      }

      const answerWanted = packet.ackRequired && header.qn !== undefined;
      if (!site) {
        await refuse(session, 'ING_AUTH_UNKNOWN_DEVICE', 'HJ 212 frame from an unregistered MN', header.mn);
        if (answerWanted) await reply(session, buildQnRtn9011(header, QN_RTN.badMn), '9011', replies);
        return { disposition: 'dropped', replies };
      }
      if (!passwordsEqual(header.pw, site.gateway.password)) {
        await refuse(session, 'ING_AUTH_BAD_PASSWORD', 'HJ 212 frame with a wrong PW', header.mn);
        if (answerWanted) await reply(session, buildQnRtn9011(header, QN_RTN.badPassword), '9011', replies);
        return { disposition: 'dropped', replies };
      }
      session.onAuthenticated?.(header.mn);

      switch (cls) {
        case 'data': {
          const disposition = await handleData(packet, session, site.gateway.password, receivedAt, replies);
          return { disposition, replies };
        }
        case 'notification': {
          const ack = buildNotifyAckFor(packet);
          if (ack) await reply(session, ack, '9013', replies);
          await maybeSetClock(
            session,
            packet,
            site.gateway.password,
            REQUESTED_SET_CLOCK_INTERVAL_MS,
            replies,
          );
          return { disposition: 'answered', replies };
        }
        case 'not_stored': {
          // 2081/3019/3020 have no measurement (README "HJ 212"): acknowledged so the device stops resending.
          const suppressed = problemLog.admit(`${header.mn}|not-stored|${header.cn}`);
          if (suppressed !== undefined) {
            log.info(
              { code: 'ING_HJ212_NOT_STORED', mn: header.mn, cn: header.cn, suppressed },
              'HJ 212 upload acknowledged, not stored',
            );
          }
          const ack = buildAck9014(packet);
          if (ack) await reply(session, ack, '9014', replies);
          return { disposition: 'answered', replies };
        }
        default:
          return { disposition: 'ignored', replies };
      }
    },
    start() {
      if (expiryTimer || stopped) return;
      // Checks a few times per timeout; the reassembler itself holds no timers (split.ts).
      const period = Math.max(100, Math.min(5000, Math.floor(config.split.timeoutMs / 3)));
      expiryTimer = setInterval(() => countReleased(splits.expire()), period);
      expiryTimer.unref();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (expiryTimer) clearInterval(expiryTimer);
      expiryTimer = undefined;
      countReleased(splits.drain());
    },
  };
}
