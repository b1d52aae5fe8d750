import {
  buildExeRtn9012,
  buildQnRtn9011,
  decodeFrame,
  findCpValue,
  Hj212StreamFramer,
} from '../ingest/hj212/index.js';

/**
 * The protocol side of a simulated HJ 212 gateway (数采仪): sends uploads, waits for each frame's 9014
 * (matched by QN, STD 附录C), retransmits after OverTime up to ReCount times (STD 表1, default 10 s × 3),
 * and answers the centre's 1012 SystemTime with 9011 + 9012 (表C.3). Transport-agnostic: bytes come in
 * through `receive` and go out through the `write` it is given.
 */

export interface UploadFrame {
  /** QN of the frame; undefined for HJ/T 212-2005 frames (no 9014 possible). */
  qn: string | undefined;
  frame: string;
}

export interface UploadResult {
  /** A 9014 arrived for every frame (false when no ack was requested). */
  acked: boolean;
  /** Frames sent again because OverTime passed without their 9014. */
  retransmissions: number;
}

export interface Hj212DeviceStats {
  retransmissions: number;
  unexpectedAcks: number;
  /** Frames from the centre with a bad CRC, or a 9014 not as STD 附录C prescribes (ST ≠ 91, Flag ≠ 4); ignored. */
  badAcks: number;
  refusals: number;
  clockSets: number;
}

export interface Hj212DeviceOptions {
  /** Sends frames on the link. */
  write(frames: readonly string[]): void;
  /** Wall ms to wait for a 9014 before sending again (OverTime scaled by the simulation speed). */
  ackTimeoutMs: number;
  /** Retransmissions after the first send (ReCount). */
  reCount: number;
  /** true for MQTT (one frame per payload), false for a TCP byte stream. */
  framedInput: boolean;
}

export interface Hj212Device {
  receive(chunk: Buffer): void;
  send(frames: readonly UploadFrame[], ackRequired: boolean): Promise<UploadResult>;
  readonly stats: Hj212DeviceStats;
  /** Idempotent: clears every retransmission timer; uploads still waiting resolve as not acked. */
  stop(): void;
}

interface Pending {
  frame: string;
  sends: number;
  timer: NodeJS.Timeout | undefined;
  done(acked: boolean): void;
}

export function createHj212Device(opts: Hj212DeviceOptions): Hj212Device {
  const pending = new Map<string, Pending>();
  const stats: Hj212DeviceStats = {
    retransmissions: 0,
    unexpectedAcks: 0,
    badAcks: 0,
    refusals: 0,
    clockSets: 0,
  };
  const framer = opts.framedInput ? undefined : new Hj212StreamFramer();
  let stopped = false;

  function arm(qn: string, entry: Pending): void {
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (pending.get(qn) !== entry) return;
      if (entry.sends > opts.reCount) {
        pending.delete(qn);
        entry.done(false);
        return;
      }
      entry.sends++;
      stats.retransmissions++;
      opts.write([entry.frame]);
      arm(qn, entry);
    }, opts.ackTimeoutMs);
  }

  function onFrame(raw: Buffer): void {
    // Replies from the centre must have a correct CRC (strict, as the standard asks of every receiver).
    const decoded = decodeFrame(raw, { crcPolicy: 'strict' });
    if (!decoded.ok) {
      stats.badAcks++;
      return;
    }
    const { header, cp } = decoded.packet;
    const qn = header.qn;
    if (header.cn === '9014' && qn !== undefined) {
      if (header.st !== '91' || header.flag !== 4 || cp.length !== 0) {
        stats.badAcks++;
        return;
      }
      const entry = pending.get(qn);
      if (!entry) {
        stats.unexpectedAcks++;
        return;
      }
      pending.delete(qn);
      clearTimeout(entry.timer);
      entry.done(true);
    } else if (header.cn === '9011' && qn !== undefined) {
      const qnRtn = findCpValue(cp, 'QnRtn');
      if (qnRtn === '1') return;
      // Refused (PW错误, MN错误 …): retransmitting the same frame cannot help.
      stats.refusals++;
      const entry = pending.get(qn);
      if (!entry) return;
      pending.delete(qn);
      clearTimeout(entry.timer);
      entry.done(false);
    } else if (header.cn === '1012') {
      stats.clockSets++;
      // 表C.3: 9011 (ready) then 9012 (done). The simulated clock itself is the run's and is not changed.
      opts.write([buildQnRtn9011(header, 1), buildExeRtn9012(header, 1)]);
    }
  }

  return {
    stats,
    receive(chunk) {
      if (stopped) return;
      if (!framer) {
        // MQTT: JSON rejection notices share the down topic; only frames matter here.
        if (chunk[0] === 0x23 && chunk[1] === 0x23) onFrame(chunk);
        return;
      }
      for (const out of framer.push(chunk)) if (out.type === 'frame') onFrame(out.frame);
    },
    send(frames, ackRequired) {
      if (stopped) return Promise.resolve({ acked: false, retransmissions: 0 });
      const waits: Promise<boolean>[] = [];
      const entries: [string, Pending][] = [];
      if (ackRequired) {
        for (const f of frames) {
          const qn = f.qn;
          if (qn === undefined) continue;
          waits.push(
            new Promise<boolean>((resolve) => {
              const entry: Pending = { frame: f.frame, sends: 1, timer: undefined, done: resolve };
              // A QN still pending (a previous upload's) is superseded: QNs are unique per gateway run.
              pending.get(qn)?.done(false);
              pending.set(qn, entry);
              entries.push([qn, entry]);
            }),
          );
        }
      }
      opts.write(frames.map((f) => f.frame));
      if (waits.length === 0) return Promise.resolve({ acked: false, retransmissions: 0 });
      for (const [qn, entry] of entries) arm(qn, entry);
      return Promise.all(waits).then((acks) => ({
        acked: acks.every(Boolean),
        retransmissions: entries.reduce((n, [, e]) => n + e.sends - 1, 0),
      }));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.done(false);
      }
      pending.clear();
    },
  };
}
