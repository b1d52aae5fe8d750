import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findFreePort,
  httpAnswers,
  type ManagedProcess,
  requireExecutable,
  spawnManaged,
  waitReady,
} from '../../cli/local-influxd.js';

/**
 * A real VictoriaMetrics (Debian `victoria-metrics`) on a free loopback port: the stand-in for the
 * InfluxDB 1.8+/2.x/3.x `/api/v2/write` endpoint in write-path tests (DESIGN.md §6).
 *
 * Mapping to keep in mind when asserting: a line `m,tags f1=1,f2=2 t` becomes the series `m_f1{tags}` and
 * `m_f2{tags}`; booleans become 1/0 and string fields (in 1.79, Debian's version) a number: parsed if
 * numeric, else 0; bad lines are logged and skipped while the request still answers 204. Data becomes visible to /api/v1/export only after `/internal/force_flush` (flush()).
 */
export interface LocalVictoriaMetrics {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Makes recently written samples searchable (otherwise up to a few seconds late). */
  flush(): Promise<void>;
  /** Raw samples of every series matching a PromQL series selector, e.g. `{__name__=~"emission_.*"}`. */
  exportSeries(match: string): Promise<VmSeries[]>;
  /** Number of samples (points per numeric field) stored for the selector; flushes first. */
  countSamples(match: string): Promise<number>;
  /** SIGTERM, wait, SIGKILL after a deadline; removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface VmSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface StartVictoriaMetricsOptions {
  dir?: string;
  port?: number;
  extraArgs?: string[];
}

export async function startVictoriaMetrics(
  opts: StartVictoriaMetricsOptions = {},
): Promise<LocalVictoriaMetrics> {
  const binary = requireExecutable('victoria-metrics', 'victoria-metrics');
  const temporary = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'victoria-metrics-')));
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, 'victoria-metrics.log');

  let proc: ManagedProcess | undefined;
  let port = 0;
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; proc === undefined; attempt++) {
    port = opts.port ?? (await findFreePort());
    const args = [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, 'data')}`,
      // Default retention is 1 month and older samples are dropped silently: tests use fixed old dates.
      '-retentionPeriod=100y',
      // Query APIs hide the last 30 s by default; tests write and read back at once.
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerLevel=WARN',
      ...(opts.extraArgs ?? []),
    ];
    const p = spawnManaged(binary, args, { logFile, cwd: dir });
    try {
      await waitReady(p, () => httpAnswers(`http://127.0.0.1:${port}/health`, 200), {
        what: 'victoria-metrics',
        logFile,
      });
      proc = p;
    } catch (err) {
      await p.kill();
      if (attempt >= attempts) {
        if (temporary) await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const running = proc;
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;

  async function flush(): Promise<void> {
    const res = await fetch(`${url}/internal/force_flush`, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`victoria-metrics force_flush answered HTTP ${res.status}`);
  }

  async function exportSeries(match: string): Promise<VmSeries[]> {
    const body = new URLSearchParams({ 'match[]': match, start: '0' });
    const res = await fetch(`${url}/api/v1/export`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`victoria-metrics export answered HTTP ${res.status}: ${text.slice(0, 500)}`);
    // JSON lines, one series each.
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as VmSeries);
  }

  return {
    url,
    port,
    pid: running.pid,
    dataDir: dir,
    logFile,
    flush,
    exportSeries,
    async countSamples(match) {
      await flush();
      const series = await exportSeries(match);
      return series.reduce((n, s) => n + s.values.length, 0);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      if (temporary) await rm(dir, { recursive: true, force: true });
    },
    kill() {
      return running.kill();
    },
  };
}
