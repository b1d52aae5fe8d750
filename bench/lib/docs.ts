import { readFileSync, writeFileSync } from 'node:fs';
import type {
  CeilingResult,
  InfluxGcResult,
  PipelineResult,
  ProcsPairsResult,
  RatioPairsResult,
} from '../suite.js';

/** docs/benchmarks.md: the measured section between the markers is regenerated from the suite's results. */
const VALUES = 8;
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------------------
// docs/benchmarks.md: the measured section between the markers is regenerated

const BEGIN = '<!-- bench:suite:begin -->';
const END = '<!-- bench:suite:end -->';

function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => (c === null || c === undefined ? '—' : String(c))).join(' | ')} |`),
  ].join('\n');
}

const fmtCpu = (c: Record<string, number | null>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v ?? '—'}`)
    .join(', ');
const fmtRss = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

function latencyText(l: PipelineResult['latencyMs']): string {
  if (!l) return '— (no probe)';
  const ack = `(ack ${l.ack.p50} / ${l.ack.p99})`;
  return l.queryable.n > 0
    ? `${l.queryable.p50} / ${l.queryable.p99} ${ack}`
    : `> 15 000: none visible within the probe's 15 s settle ${ack}`;
}

export function renderResults(r: Record<string, unknown>): string {
  const machine = r.machine as Record<string, unknown>;
  const lines: string[] = [];
  lines.push(
    `Run of ${String(r.date)} (${String(r.wallMinutes ?? '?')} min): ${String(machine.cpus)} × ${String(machine.cpuModel)}, ${String(machine.memGB)} GB, Linux ${String(machine.kernel)}, Node ${String(machine.node)}, influxd 1.6.7 (Debian) on the same box; load average at start ${(machine.loadAvgAtStart as number[]).join(' / ')}, at end ${((machine.loadAvgAtEnd as number[]) ?? []).join(' / ')} (1/5/15 min; other work on the box was running).`,
    '',
  );
  const again = r.remeasured as { sections: string; date: string } | undefined;
  if (again) lines.push(`Section(s) ${again.sections} measured again on ${again.date} (same box).`, '');
  const ceiling = r.ceiling as Record<string, CeilingResult> | undefined;
  const pipe = r.pipeline as Record<string, PipelineResult | { error: string }> | undefined;
  const raw = r.rawWrite as
    | { bestPointsPerSec: Record<string, number>; bytesPerLine: number; readingsPerSecEquivalent: number }
    | undefined;
  if (ceiling || pipe) {
    lines.push('### Side by side (same run, same load generator, QoS 1, 8 values per reading)', '');
    const rows: Array<Array<string | number | null>> = [];
    for (const c of Object.values(ceiling ?? {}))
      rows.push([
        `ceiling: ${c.broker}`,
        c.gateways,
        c.readingsPerSec,
        round(c.readingsPerSec * VALUES),
        '—',
        '—',
        fmtCpu(c.cpuCores),
        fmtRss(c.peakRssMB),
      ]);
    if (raw)
      rows.push([
        `ceiling: raw InfluxDB writes of our lines (${raw.bytesPerLine} B/line, 2 / 4 in flight)`,
        '—',
        raw.readingsPerSecEquivalent,
        `${raw.bestPointsPerSec[2]} / ${raw.bestPointsPerSec[4]}`,
        '—',
        '—',
        '—',
        '—',
      ]);
    for (const p of Object.values(pipe ?? {})) {
      if ('error' in p) {
        rows.push(['pipeline HJ 212 TCP', '—', `failed: ${p.error}`, '—', '—', '—', '—', '—']);
        continue;
      }
      rows.push([
        `pipeline ${p.protocol}, ${p.seconds} s`,
        p.gateways,
        p.readingsPerSec,
        `${p.pointsAcceptedPerSec} accepted / ${p.pointsWrittenPerSec} written`,
        `${p.lost} (stored ${p.storedPoints} ≥ acked×8 ${p.expectedPointsMin})`,
        latencyText(p.latencyMs),
        fmtCpu(p.cpuCores),
        fmtRss(p.peakRssMB),
      ]);
    }
    lines.push(
      table(
        [
          'target',
          'gateways',
          'readings/s',
          'points/s',
          'lost',
          'p50 / p99 publish→queryable ms',
          'CPU (cores)',
          'peak RSS (MB)',
        ],
        rows,
      ),
      '',
    );
    const a50 = ceiling?.aedes50;
    const a1000 = ceiling?.aedes1000;
    const j50 = pipe?.json50 as PipelineResult | undefined;
    const j1000 = pipe?.json1000 as PipelineResult | undefined;
    const ratios: string[] = [];
    if (a50 && j50)
      ratios.push(
        `pipeline / aedes ceiling, 50 gateways: **${round((j50.readingsPerSec / a50.readingsPerSec) * 100)} %**`,
      );
    if (a1000 && j1000)
      ratios.push(
        `pipeline / aedes ceiling, 1000 gateways: **${round((j1000.readingsPerSec / a1000.readingsPerSec) * 100)} %**`,
      );
    if (raw && j50)
      ratios.push(
        `points written by the pipeline / raw InfluxDB writes (2 in flight), 50 gateways: **${round((j50.pointsWrittenPerSec / (raw.bestPointsPerSec[2] ?? 1)) * 100)} %**`,
      );
    if (ratios.length > 0) lines.push(`Ratios: ${ratios.join('; ')}.`, '');
  }
  const gc = r.influxGc as InfluxGcResult | undefined;
  if (gc) {
    lines.push(
      `### influxd's Go GC (the same ${gc.points} points, 2 requests in flight, fresh influxd each, alternating)`,
      '',
      table(
        ['GOGC', 'points/s', 'influxd CPU µs per point', 'influxd peak RSS (MB)'],
        gc.runs.map((x) => [x.gogc, x.pointsPerSec, x.influxdCpuUsPerPoint, x.influxdPeakRssMB]),
      ),
      '',
    );
  }
  const pairs = r.ratioPairs as RatioPairsResult | undefined;
  if (pairs) {
    lines.push(
      '### Ceiling and pipeline alternating (50 gateways, 20 s each)',
      '',
      table(
        ['pair', 'aedes ceiling readings/s', 'pipeline readings/s', 'pipeline / ceiling', 'lost'],
        pairs.pairs.map((p, i) => [
          String(i + 1),
          String(p.ceilingReadingsPerSec),
          String(p.pipelineReadingsPerSec),
          `${round(p.ratio * 100)} %`,
          String(p.lost),
        ]),
      ),
      '',
      `Median pair: **${round(pairs.medianRatio * 100)} %** of the ceiling measured right before it.`,
      '',
    );
  }
  const procs = r.procsPairs as ProcsPairsResult | undefined;
  if (procs) {
    lines.push(
      `### influxd GOMAXPROCS under the pipeline (50 gateways, ${procs.seconds} s each, Go's default and ${procs.deployedGomaxprocs} back to back)`,
      '',
      table(
        [
          'pair',
          "readings/s, Go's default",
          `readings/s, GOMAXPROCS=${procs.deployedGomaxprocs}`,
          'gain',
          'influxd µs CPU per reading (default / deployed)',
          'p99 publish→queryable ms (default / deployed)',
          'lost',
        ],
        procs.pairs.map((p, i) => [
          String(i + 1),
          String(p.goDefaultReadingsPerSec),
          String(p.deployedReadingsPerSec),
          `${round((p.gain - 1) * 100, 1)} %`,
          `${p.influxdUsPerReading.goDefault} / ${p.influxdUsPerReading.deployed}`,
          `${p.p99QueryableMs.goDefault} / ${p.p99QueryableMs.deployed}`,
          String(p.lost),
        ]),
      ),
      '',
      `Median pair: **${round((procs.medianGain - 1) * 100, 1)} %** more readings/s with GOMAXPROCS=${procs.deployedGomaxprocs}.`,
      '',
    );
  }
  const idle = r.idle as Record<string, number> | undefined;
  if (idle) {
    lines.push('### Memory per idle connection', '');
    lines.push(
      table(
        [
          'connections',
          'connect time s',
          'serve RSS before MB',
          'after MB',
          'RSS per connection KB',
          'heap used per connection KB',
        ],
        [
          [
            idle.connections,
            idle.connectSeconds,
            idle.rssBeforeMB,
            idle.rssAfterMB,
            idle.rssPerConnectionKB,
            idle.heapUsedPerConnectionKB,
          ],
        ],
      ),
      '',
    );
  }
  const o = r.outage as Record<string, number | null> | undefined;
  if (o) {
    lines.push('### InfluxDB outage and drain', '');
    lines.push(
      table(
        [
          'ingest before (readings/s)',
          'outage s',
          'backlog at restart (points)',
          'drain time s',
          'write rate during drain (points/s)',
          'ingest during drain (points/s)',
          'write / ingest',
          'lost',
        ],
        [
          [
            o.ingestReadingsPerSecBeforeOutage,
            o.outageSec,
            o.backlogPointsAtRestart,
            o.drainSeconds,
            o.writePointsPerSecDuringDrain,
            o.ingestPointsPerSecDuringDrain,
            o.drainToIngestRatio,
            o.lost,
          ],
        ],
      ),
      '',
    );
  }
  return lines.join('\n');
}

export function updateDocs(results: Record<string, unknown>): void {
  const file = 'docs/benchmarks.md';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  }
  const body = `${BEGIN}\n<!-- generated by bench/suite.ts from .bench/suite.json; do not edit by hand -->\n\n${renderResults(results)}\n${END}`;
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  text = i >= 0 && j > i ? `${text.slice(0, i)}${body}${text.slice(j + END.length)}` : `${text}\n${body}\n`;
  writeFileSync(file, text);
}
