import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findFreePort } from '../../cli/local-influxd.js';
import { type CliProcess, runCli } from '../../test/support/cli-process.js';
import { serveEnv } from '../../test/support/serve-env.js';

/**
 * The processes of a benchmark run: `emissions serve`, the ceiling broker and the load generator
 * (`emissions simulate`, the same one for every target), each its own OS process so CPU and RSS are
 * measured per process.
 */
const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Compiles the project (`npm run build`): benchmarks run `serve` and the simulator as deployed, from
 * dist/ through bin/emissions.js, so the figures are those of the production code, not of tsx's transform.
 */
export function buildForBench(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/**
 * The node options production starts serve with: the Dockerfile's `ENV NODE_OPTIONS`, read from there
 * so the benchmark cannot drift from the deployment.
 */
export function deployedNodeOptions(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const match = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile);
  if (!match) throw new Error('Dockerfile: no ENV NODE_OPTIONS="…" line');
  return (match[1] as string).split(' ').filter(Boolean);
}

/**
 * The Go runtime settings production gives influxd (GOGC, GOMEMLIMIT, GOMAXPROCS in docker-compose.yml),
 * with compose's `${VAR:-default}` substitution applied, so the benchmark's influxd runs as deployed.
 * Like compose, a variable set in this process's environment (e.g. INFLUX_GOGC=100) wins over the
 * default; an empty value, `off` (or GOMAXPROCS 0) leaves the setting to Go.
 */
export function deployedInfluxEnv(): Record<string, string> {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services?: { influxdb?: { environment?: Record<string, unknown> } };
  };
  const environment = compose.services?.influxdb?.environment ?? {};
  const out: Record<string, string> = {};
  for (const key of ['GOGC', 'GOMEMLIMIT', 'GOMAXPROCS']) {
    const raw = environment[key];
    if (raw === undefined) continue;
    const value = String(raw).replace(
      /\$\{(\w+):-([^}]*)\}/g,
      (_, name: string, fallback: string) => process.env[name] || fallback,
    );
    if (value.includes('${')) throw new Error(`docker-compose.yml: cannot resolve influxdb ${key}=${value}`);
    // Values Go reads as "not set": the runtime's default applies.
    const unset = value === '' || value === 'off' || (key === 'GOMAXPROCS' && value === '0');
    if (!unset) out[key] = value;
  }
  if (out.GOGC === undefined) throw new Error('docker-compose.yml: no GOGC for the influxdb service');
  return out;
}

export interface Serve {
  cli: CliProcess;
  mqttUrl: string;
  hj212Port: number;
  httpUrl: string;
  metrics(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Sums of the Prometheus samples of a metric family, keyed `name` and `name{labels}`. */
export function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const key = line.slice(0, sp);
    const value = Number(line.slice(sp + 1));
    const brace = key.indexOf('{');
    const name = brace < 0 ? key : key.slice(0, brace);
    out[key] = value;
    if (brace >= 0) out[name] = (out[name] ?? 0) + value;
  }
  return out;
}

export async function startServe(opts: {
  registryFile: string;
  influxUrl: string;
  db: string;
  dir: string;
  env?: Record<string, string>;
  profileDir?: string;
  /** Node flags for serve after the deployed ones (a later flag wins, e.g. --max-semi-space-size=16). */
  nodeArgs?: readonly string[];
}): Promise<Serve> {
  const { env, mqttPort, httpPort, hj212Port } = await serveEnv({
    registryFile: opts.registryFile,
    influxUrl: opts.influxUrl,
    db: opts.db,
    dir: opts.dir,
    extra: { LOG_LEVEL: 'warn', ...opts.env },
  });
  const cli = runCli(['serve'], {
    env,
    logFile: join(opts.dir, 'serve.log'),
    fromBuild: true,
    nodeArgs: [
      ...deployedNodeOptions(),
      ...(opts.nodeArgs ?? []),
      ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []),
    ],
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  // LOG_LEVEL warn hides the start line: wait for readiness instead (bounded: 30 s).
  let ready = false;
  for (let i = 0; i < 300 && !ready; i++) {
    ready = await fetch(`${httpUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) throw new Error(`serve not ready; see ${join(opts.dir, 'serve.log')}`);
  return {
    cli,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    hj212Port,
    httpUrl,
    async metrics() {
      const res = await fetch(`${httpUrl}/metrics`);
      return parseMetrics(await res.text());
    },
    async stop() {
      cli.kill('SIGTERM');
      await cli.exited;
    },
  };
}

export interface CeilingBroker {
  mqttUrl: string;
  pid: number;
  count(): number;
  stop(): Promise<void>;
}

/** bench/lib/ceiling-broker.ts in its own process. */
export async function startCeilingBroker(): Promise<CeilingBroker> {
  const port = await findFreePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/lib/ceiling-broker.ts'), String(port)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let n = 0;
  let pending = '';
  let listening: () => void = () => {};
  const up = new Promise<void>((resolve) => {
    listening = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const msg = JSON.parse(pending.slice(0, nl)) as { msg: string; n?: number };
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      if (msg.msg === 'listening') listening();
      if (msg.msg === 'count') n = msg.n ?? n;
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([up, exited.then(() => Promise.reject(new Error('ceiling broker exited')))]);
  return {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    count: () => n,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface SimRun {
  cli: CliProcess;
  /** Resolves when every gateway's first connection is settled. */
  connected: Promise<Record<string, unknown>>;
  /** SIGTERM (clean stop: outstanding acks are awaited) and the final summary. */
  stop(): Promise<Record<string, unknown>>;
  finished: Promise<Record<string, unknown>>;
}

/** `emissions simulate` against a broker (or the HJ 212 TCP port); runs until stop() or its duration ends. */
export function startSimulator(opts: {
  brokerUrl: string;
  registryFile: string;
  logFile: string;
  speed?: string;
  intervalSec?: number;
  durationSec?: number;
  protocol?: string;
  hj212Tcp?: string;
}): SimRun {
  const args = [
    'simulate',
    '--broker',
    opts.brokerUrl,
    '--registry',
    opts.registryFile,
    '--interval',
    String(opts.intervalSec ?? 60),
    '--speed',
    opts.speed ?? 'max',
    '--start',
    '2026-01-01T00:00:00+08:00',
    '--duration',
    String(opts.durationSec ?? 3650 * 86_400),
    '--seed',
    '1',
    ...(opts.protocol ? ['--protocol', opts.protocol] : []),
    ...(opts.hj212Tcp ? ['--hj212-tcp', opts.hj212Tcp] : []),
  ];
  const cli = runCli(args, { env: { LOG_LEVEL: 'info' }, logFile: opts.logFile, fromBuild: true });
  const connected = cli.waitForLog('simulator :: gateways connected');
  const finished = cli.waitForLog('simulation finished');
  connected.catch(() => undefined);
  finished.catch(() => undefined);
  return {
    cli,
    connected,
    finished,
    async stop() {
      cli.kill('SIGTERM');
      const summary = await finished;
      await cli.exited;
      return summary;
    },
  };
}

/**
 * Samples counters every `everyMs` (one `read` per tick for all of them, so one scrape serves several
 * rates) and gives the rate of each between two times.
 */
export function sampler<K extends string>(
  read: () => Promise<Record<K, number>> | Record<K, number>,
  everyMs = 500,
) {
  const samples: Array<{ at: number; n: Record<K, number> }> = [];
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      samples.push({ at: performance.now(), n: await read() });
    } catch {
      // a missed sample only widens the window
    } finally {
      busy = false;
    }
  }, everyMs);
  return {
    samples,
    stop: () => clearInterval(timer),
    /** Rate of `key` between the first sample at/after `fromMs` and the last at/before `toMs`. */
    rate(key: K, fromMs: number, toMs: number): number {
      const inside = samples.filter((s) => s.at >= fromMs && s.at <= toMs);
      const a = inside[0];
      const b = inside[inside.length - 1];
      return a && b && b.at > a.at ? ((b.n[key] - a.n[key]) * 1000) / (b.at - a.at) : 0;
    },
  };
}
