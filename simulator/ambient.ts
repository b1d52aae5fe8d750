import { connectAsync } from 'mqtt';
import type { SiteEntry } from '../config/registry.js';
import { formatIsoLocal } from '../core/local-time.js';
import { streamFor } from './random.js';
import { topicUp } from './wire.js';

/**
 * Ambient air-quality stations for the heavy-pollution scenario (重污染过程): hourly values (CN 2061,
 * ST 22) whose PM2.5 follows a daily plan (e.g. 60 → 80 → 180 → 220 → 280 μg/m³ over five days, i.e.
 * daily AQI 82 → 107 → 230 → 270 → 330), with seeded noise that keeps each day's mean on the plan.
 * Pure generation (`ambientHourValues`) apart from the small MQTT publisher.
 */
export interface AmbientPlan {
  /** Local day start of the first planned day (ms). */
  start: number;
  /** PM2.5 daily mean per day, μg/m³; PM10 = 1.4 × PM2.5, others background. */
  pm25: readonly number[];
  seed?: number;
}

/** Values of one station hour, in the registry units (μg/m³, CO mg/m³). Noise averages to zero per day. */
export function ambientHourValues(
  stationId: string,
  plan: AmbientPlan,
  hourStart: number,
): Record<string, number> | undefined {
  const day = Math.floor((hourStart - plan.start) / 86_400_000);
  const pm = plan.pm25[day];
  if (pm === undefined || day < 0) return undefined;
  const hour = Math.floor((hourStart - plan.start) / 3_600_000) % 24;
  // ± noise that cancels over a day: sin over the 24 hours sums to 0, so daily means equal the plan.
  const rng = streamFor(plan.seed ?? 1, 'ambient', stationId);
  const amp = 0.1 + 0.02 * rng.next();
  const f = 1 + amp * Math.sin((2 * Math.PI * hour) / 24);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    a34004: r1(pm * f),
    a34002: r1(1.4 * pm * f),
    a21026: r1(12 * f),
    a21004: r1(45 * f),
    a21005: Math.round(1.1 * f * 100) / 100,
    a05024: r1(40 * f),
  };
}

/** Publishes CN 2061 JSON readings for every station hour of the plan over MQTT (QoS 1, bounded). */
export async function publishAmbient(
  brokerUrl: string,
  stations: readonly SiteEntry[],
  plan: AmbientPlan,
  timeZone: string,
): Promise<number> {
  let sent = 0;
  for (const st of stations) {
    const client = await connectAsync(brokerUrl, {
      username: st.gateway.mn,
      password: st.gateway.password,
      clientId: `ambient-${st.gateway.mn}`,
      reconnectPeriod: 0,
    });
    try {
      for (let h = 0; h < plan.pm25.length * 24; h++) {
        const t = plan.start + h * 3_600_000;
        const v = ambientHourValues(st.outlet.id, plan, t);
        if (!v) continue;
        const values = Object.fromEntries(Object.entries(v).map(([code, avg]) => [code, { avg, flag: 'N' }]));
        await client.publishAsync(
          topicUp(st.gateway.mn),
          JSON.stringify({ st: '22', cn: '2061', dataTime: formatIsoLocal(t, timeZone), values }),
          { qos: 1 },
        );
        sent++;
      }
    } finally {
      await client.endAsync();
    }
  }
  return sent;
}
