import { connect } from 'mqtt';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { PROBE_CODES, PROBE_MN, PROBE_PASSWORD } from './registry.js';

/**
 * Latency from publish to queryable, measured with sample readings of a probe gateway that publishes
 * alongside the load (same broker, same spool, same drain, same InfluxDB; one reading of 8 values every
 * `everyMs`). Probe reading k has data time BASE + k s. A poller asks InfluxDB for the newest probe time
 * (`SELECT last(value) … WHERE mn = probe`, one cheap single-series query every `pollMs`); the first
 * poll that returns a time ≥ T_k is when reading k became queryable. Readings travel in order through
 * one spool, so "newest time visible" is the same as "each reading visible", and one query per poll
 * serves every outstanding sample: resolution = pollMs + one query, instead of one query per sample.
 * Also records publish → PUBACK (the gateway's view: durable in the spool).
 */
const BASE_MS = Date.parse('2025-06-01T00:00:00Z');

export interface ProbeResult {
  samples: number;
  queryable: Percentiles;
  ack: Percentiles;
  pollMs: number;
}

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(xs: readonly number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? Number.NaN) };
}

export function startProbe(opts: {
  brokerUrl: string;
  influxUrl: string;
  db: string;
  everyMs?: number;
  pollMs?: number;
}) {
  const everyMs = opts.everyMs ?? 200;
  // 50 ms resolves latencies of a few hundred ms well enough, and polling less loads the measured box
  // less (the bench process used 0.07–0.09 core with 20 ms, 0.06 with 50 ms).
  const pollMs = opts.pollMs ?? 50;
  const client = connect(opts.brokerUrl, {
    clientId: `probe-${PROBE_MN}`,
    username: PROBE_MN,
    password: PROBE_PASSWORD,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 500,
  });
  // mqtt.js leaves Nagle on; the probe must not add delayed-ACK waits of its own to the latency.
  client.on('connect', () =>
    (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true),
  );
  client.on('error', () => undefined);
  const published = new Map<number, number>();
  const queryable: number[] = [];
  const acks: number[] = [];
  let k = 0;
  let stopped = false;
  let seenUpTo = -1;

  const pub = setInterval(() => {
    if (!client.connected) return;
    const seq = k++;
    const values: Record<string, { rtd: number; flag: string }> = {};
    for (const code of PROBE_CODES) values[code] = { rtd: 10 + (seq % 7), flag: 'N' };
    const payload = JSON.stringify({
      st: '31',
      cn: '2011',
      dataTime: new Date(BASE_MS + seq * 1000).toISOString(),
      values,
    });
    const t = performance.now();
    published.set(seq, t);
    client.publish(`emissions/${PROBE_MN}/up`, payload, { qos: 1 }, (err) => {
      if (!err) acks.push(performance.now() - t);
    });
  }, everyMs);

  const q = `SELECT last(value) FROM emission_rtd WHERE mn = '${PROBE_MN}'`;
  const poller = (async () => {
    // Bounded by stop(): one query at a time, then a pause of pollMs.
    while (!stopped) {
      try {
        const rows = seriesRows(
          await influxQueryOne({ url: opts.influxUrl, db: opts.db, timeoutMs: 5000 }, q),
        );
        const t = performance.now();
        const time = rows[0]?.time;
        if (typeof time === 'number') {
          // influxQuery asks for epoch=ms
          const upTo = Math.round((time - BASE_MS) / 1000);
          for (let s = seenUpTo + 1; s <= upTo; s++) {
            const at = published.get(s);
            if (at !== undefined) queryable.push(t - at);
            published.delete(s);
          }
          seenUpTo = Math.max(seenUpTo, upTo);
        }
      } catch {
        // influxd down (outage phase) or busy: try again
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();

  return {
    /** Stops publishing; keeps polling up to `settleMs` for the last samples to become queryable. */
    async stop(settleMs = 15_000): Promise<ProbeResult> {
      clearInterval(pub);
      const until = performance.now() + settleMs;
      while (published.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
      stopped = true;
      await poller;
      await client.endAsync(true).catch(() => undefined);
      return { samples: k, queryable: percentiles(queryable), ack: percentiles(acks), pollMs };
    },
  };
}
