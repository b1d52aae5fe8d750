import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../core/errors.js';
import { HASH } from './hj212/frame-layout.js';
import type { Intake, Transport } from './intake.js';
import { decodeJsonPayload } from './json-payload.js';

/**
 * Decodes what a gateway publishes on `emissions/{mn}/up` and hands the reading to the intake.
 * Every rejection is counted and logged by the intake, and the gateway is told why on its down topic
 * (it cannot learn it from an MQTT 3.1.1 PUBACK, which has no reason code).
 */
export type Reply = (payload: string) => Promise<void>;

/**
 * `acknowledge`: the message is settled (stored, or refused for good with a counted reason): ack it.
 * `withhold`: it was valid but could not be stored (spool failure): do not ack, so the gateway retries.
 */
export type UpOutcome = 'acknowledge' | 'withhold';

export interface UpPayloadHandler {
  /** Never rejects: outcomes are counted, logged and answered. */
  handle(mn: string, payload: Buffer, transport: Transport, reply: Reply): Promise<UpOutcome>;
}

/** A decoder for payloads that start with `##` (HJ 212 frames), plugged in by the HJ 212 module. */
export type Hj212PayloadDecoder = (
  mn: string,
  payload: Buffer,
  transport: Transport,
  reply: Reply,
) => Promise<UpOutcome>;

export interface UpPayloadDeps {
  intake: Intake;
  timeZone: string;
  maxPayloadBytes: number;
  clock: Clock;
  hj212?: Hj212PayloadDecoder;
}

export function rejectionNotice(code: ErrorCode, reason: string): string {
  return JSON.stringify({ type: 'rejected', code, reason });
}

export function createUpPayloadHandler(deps: UpPayloadDeps): UpPayloadHandler {
  const { intake } = deps;

  async function refuse(
    mn: string,
    code: ErrorCode,
    reason: string,
    transport: Transport,
    reply: Reply,
  ): Promise<UpOutcome> {
    intake.reject(code, reason, { mn, transport });
    // Best effort: the notice helps the gateway's maintainer, its loss must not fail the upload path.
    await reply(rejectionNotice(code, reason)).catch(() => undefined);
    return 'acknowledge';
  }

  return {
    async handle(mn, payload, transport, reply) {
      if (payload.length > deps.maxPayloadBytes) {
        const reason = `payload of ${payload.length} bytes exceeds the limit of ${deps.maxPayloadBytes}`;
        return refuse(mn, 'ING_PAYLOAD_TOO_LARGE', reason, transport, reply);
      }
      if (payload[0] === HASH && payload[1] === HASH) {
        if (deps.hj212) return deps.hj212(mn, payload, transport, reply);
        return refuse(
          mn,
          'ING_HJ212_FRAME',
          'HJ 212 frames are not enabled on this intake',
          transport,
          reply,
        );
      }
      const decoded = decodeJsonPayload(payload, {
        mn,
        timeZone: deps.timeZone,
        receivedAt: new Date(deps.clock.now()),
      });
      if (!decoded.ok) return refuse(mn, decoded.code, decoded.reason, transport, reply);
      const outcome = await intake.accept(decoded.reading, transport);
      if (outcome.ok) return 'acknowledge';
      if (outcome.retry) return 'withhold';
      await reply(rejectionNotice(outcome.code, outcome.reason)).catch(() => undefined);
      return 'acknowledge';
    },
  };
}
