/**
 * Alarm latency and rule throughput of the alerting engine (alerting/), in simulated time with a real
 * loopback webhook receiver:
 *
 * - instant rule: from the reading that completes an exceedance (onReading) to the webhook receiving
 *   the notification;
 * - hourly rule: from the hour close + lateness (tick) to the webhook receiving each notification;
 * - throughput: readings aggregated and per-sample rules evaluated per second, and hourly windows
 *   judged per second at hour close.
 *
 *   npx tsx bench/alert-latency.ts [--outlets 200] [--hours 3]
 *
 * Writes .bench/alert-latency.json. No InfluxDB: the mirror is off so the figures are the engine's own
 * (journal fsync included).
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { alertingConfig } from '../alerting/config.js';
import { createAlerting } from '../alerting/index.js';
import { rtdReading, startHttpReceiver } from '../alerting/testing/harness.js';
import { parseRegistry, type Registry } from '../config/registry.js';
import { createLogger } from '../core/logger.js';

const { values: args } = parseArgs({
  options: { outlets: { type: 'string', default: '200' }, hours: { type: 'string', default: '3' } },
});
const OUTLETS = Number(args.outlets);
const HOURS = Number(args.hours);
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00+08:00');

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function registryOf(n: number): Registry {
  return parseRegistry({
    version: 1,
    enterprises: [
      {
        id: 'bench',
        name: '压测企业',
        region: '压测区',
        outlets: Array.from({ length: n }, (_, i) => ({
          id: `boiler-${i}`,
          name: `${i}号锅炉`,
          medium: 'gas',
          sourceType: 'coal-boiler',
          limits: [{ code: 'a21026', max: 35, unit: 'mg/m3', source: '地方标准' }],
          gateway: { mn: `BENCHMN${String(i).padStart(6, '0')}`, password: 'secret-pw' },
          pollutants: [
            { code: 'a21026', unit: 'mg/m3' },
            { code: 'a21002', unit: 'mg/m3' },
            { code: 'a34013', unit: 'mg/m3' },
            { code: 'a19001', unit: '%' },
            { code: 'a00000', unit: 'm3/s' },
          ],
        })),
      },
    ],
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const r2 = (x: number) => Math.round(x * 100) / 100;
const stat = (xs: number[]) => ({
  n: xs.length,
  p50: r2(pct(xs, 50)),
  p95: r2(pct(xs, 95)),
  max: r2(Math.max(...xs)),
});

const registry = registryOf(OUTLETS);
const sites = registry.entries();
const hook = await startHttpReceiver();
const log = createLogger({ level: 'silent' });

function engine(instant: boolean, clock: { t: number }) {
  return createAlerting(
    alertingConfig({
      stateDir: mkdtempSync(join(tmpdir(), 'bench-alerting-')),
      scheduler: 'manual',
      reminderMinutes: 0,
      instant: { enabled: instant },
      delivery: { concurrency: 16 },
      channels: [{ id: 'hook', type: 'webhook', url: `${hook.url}/hook` }],
      routes: [{ channels: ['hook'] }],
    }),
    { registry, log, clock: { now: () => clock.t } },
  );
}

function reading(mn: string, t: number, so2: number) {
  return rtdReading(mn, t, {
    a21026: { rtd: so2 },
    a21002: { rtd: 80 },
    a34013: { rtd: 5 },
    a19001: { rtd: 9 },
    a00000: { rtd: 40 },
  });
}

// 1. Throughput: every outlet, HOURS hours of 1-minute readings below the limits, instant rule on.
const c1 = { t: T0 };
const e1 = engine(true, c1);
await e1.start();
let readings = 0;
const j0 = e1.engine.stats.judgements;
let start = performance.now();
for (let m = 0; m < HOURS * 60; m++) {
  c1.t = T0 + m * 60_000;
  for (const s of sites) {
    e1.onReading(reading(s.gateway.mn, c1.t, 20), s);
    readings++;
  }
}
const ingestMs = performance.now() - start;
const sampleJudgements = e1.engine.stats.judgements - j0;
c1.t = T0 + HOURS * H + 15 * 60_000;
const j1 = e1.engine.stats.judgements;
start = performance.now();
const closed = e1.tick(c1.t);
const tickMs = performance.now() - start;
const hourJudgements = e1.engine.stats.judgements - j1;
await e1.stop();
const throughput = {
  outlets: OUTLETS,
  readings,
  readingsPerSec: Math.round(readings / (ingestMs / 1000)),
  sampleRuleEvaluationsPerSec: Math.round(sampleJudgements / (ingestMs / 1000)),
  hourWindowsJudged: closed.hoursJudged,
  hourWindowsPerSec: Math.round(closed.hoursJudged / (tickMs / 1000)),
  hourRuleEvaluationsPerSec: Math.round(hourJudgements / (tickMs / 1000)),
};
out(`throughput: ${JSON.stringify(throughput)}`);

// 2. Instant rule latency: one exceeding sample per outlet, one at a time.
hook.requests.length = 0;
const c2 = { t: T0 };
const e2 = engine(true, c2);
await e2.start();
const instant: number[] = [];
for (const s of sites) {
  c2.t += 1000;
  const t0 = performance.now();
  e2.onReading(reading(s.gateway.mn, c2.t, 60), s);
  const [hit] = await hook.waitFor(
    (c) => (c.body.alarm as { outlet?: string } | undefined)?.outlet === s.outlet.id,
  );
  instant.push((hit?.perf ?? Number.NaN) - t0);
}
await e2.stop();
out(`instant rule: reading → webhook ms ${JSON.stringify(stat(instant))}`);

// 3. Hourly rule latency: every outlet exceeds for a full hour; measured from the tick at close + 15 min.
hook.requests.length = 0;
const c3 = { t: T0 };
const e3 = engine(false, c3);
await e3.start();
for (let m = 0; m < 60; m++) {
  c3.t = T0 + m * 60_000;
  for (const s of sites) e3.onReading(reading(s.gateway.mn, c3.t, 60), s);
}
c3.t = T0 + H + 15 * 60_000;
const t0 = performance.now();
e3.tick(c3.t);
const tickDone = performance.now() - t0;
const hits = await hook.waitFor((c) => c.body.transition === 'open', OUTLETS, 60_000);
const hourly = hits.map((h) => h.perf - t0);
await e3.stop();
out(
  `hourly rule: hour close tick → webhook ms ${JSON.stringify(stat(hourly))} (tick itself ${r2(tickDone)} ms for ${OUTLETS} outlets)`,
);
await hook.close();

const summary = {
  bench: 'alert-latency',
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  throughput,
  instantLatencyMs: stat(instant),
  hourlyLatencyMs: { ...stat(hourly), tickMs: r2(tickDone) },
};
await mkdir('.bench', { recursive: true });
await writeFile(join('.bench', 'alert-latency.json'), `${JSON.stringify(summary, null, 2)}\n`);
out('wrote .bench/alert-latency.json');
