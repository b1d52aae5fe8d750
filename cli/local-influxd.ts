import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, closeSync, constants as fsConstants, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real InfluxDB 1.x (`influxd`, Debian package `influxdb`, 1.6.7 here) on a free loopback port with
 * throw-away directories, for integration tests, benches and the local demo. Also home of the small
 * process-supervision helpers the other real-server harnesses (test/support/) share.
 *
 * Children never outlive their parent: besides `stop()`, a process 'exit' hook SIGKILLs any still
 * running, and a watchdog `sh` per child, blocked reading a pipe from this process, SIGKILLs the child
 * when the pipe closes — which happens however this process ends, even on SIGKILL or a worker teardown
 * that skips 'exit' handlers.
 */

// ---------------------------------------------------------------------------------------------------
// Process supervision (shared with test/support/*.ts)

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Finds `name` on PATH plus the sbin directories, which non-root PATHs often lack (mosquitto lives there). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Resolves `name` or throws an Error naming the Debian install command. */
export function requireExecutable(name: string, debianPackage: string): string {
  const path = findExecutable(name);
  if (!path) {
    throw new Error(
      `${name} not found on PATH; install it with: apt-get install -y ${debianPackage} (Debian)`,
    );
  }
  return path;
}

/** A loopback TCP port that was free a moment ago (the OS picks it; there is a small reuse race). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not determine a free port');
  return address.port;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly exited: boolean;
  /** Resolves with the exit code (or signal name) when the process has exited. */
  readonly exit: Promise<number | string>;
  /** SIGTERM, wait up to `deadlineMs`, then SIGKILL; resolves once the process is gone. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface SpawnManagedOptions {
  /** stdout and stderr are appended here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnManaged(
  command: string,
  args: readonly string[],
  opts: SpawnManagedOptions,
): ManagedProcess {
  installExitHook();
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    // Own process group: a terminal's Ctrl-C (SIGINT to the foreground group) must not stop the
    // database before the pipeline has flushed into it; we stop it ourselves, last.
    child = spawn(command, args, {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true,
    });
  } finally {
    closeSync(fd); // the child has its own copy
  }
  // Spawn failures arrive as an 'error' event; without a listener it would crash the test process.
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}: ${spawnError?.message ?? 'no pid'}`);
  live.add(child);
  // Blocks on its stdin, our end of a pipe: EOF means this process is gone, so kill the orphan.
  const watchdog = spawn('sh', ['-c', 'read _ignored; kill -KILL "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => {}); // best effort: the exit hook and stop() still apply
  watchdog.stdin?.on('error', () => {});
  watchdog.unref();
  // A pipe handle would keep the event loop (a test worker, a bench) alive on its own.
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  let exited = false;
  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      live.delete(child);
      watchdog.kill('SIGKILL');
      resolve(code ?? signal ?? 'unknown');
    });
  });

  async function waitExit(deadlineMs: number): Promise<boolean> {
    if (exited) return true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const done = await Promise.race([exit.then(() => true as const), deadline]);
    clearTimeout(timer);
    return done;
  }

  let stopping: Promise<void> | undefined;
  return {
    pid,
    get exited() {
      return exited;
    },
    exit,
    stop(deadlineMs = 10_000) {
      stopping ??= (async () => {
        if (exited) return;
        child.kill('SIGTERM');
        if (await waitExit(deadlineMs)) return;
        child.kill('SIGKILL');
        await exit;
      })();
      return stopping;
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/**
 * Polls `probe` until it returns true: at most `tries` times, `intervalMs` apart. Fails fast, with the
 * tail of the log, if the process exits first.
 */
export async function waitReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  opts: { what: string; logFile: string; tries?: number; intervalMs?: number },
): Promise<void> {
  const tries = opts.tries ?? 200;
  const intervalMs = opts.intervalMs ?? 50;
  for (let i = 0; i < tries; i++) {
    if (proc.exited)
      throw new Error(`${opts.what} exited during start-up; log tail:\n${logTail(opts.logFile)}`);
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `${opts.what} not ready after ${tries} tries ${intervalMs} ms apart; log tail:\n${logTail(opts.logFile)}`,
  );
}

export function logTail(file: string, maxChars = 4000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-maxChars);
  } catch {
    return '(no log)';
  }
}

/** True when an HTTP GET answers with the expected status within a short timeout. */
export async function httpAnswers(url: string, status: number | ((s: number) => boolean)): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return typeof status === 'number' ? res.status === status : status(res.status);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// influxd

export interface LocalInfluxd {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** PID of the current influxd (changes on restart). */
  readonly pid: number;
  /** Root directory: meta/, data/, wal/, influxd.conf, influxd.log (unless logFile was given). */
  readonly dataDir: string;
  readonly logFile: string;
  /** SIGTERM, wait, SIGKILL after a deadline; then removes the directory if it was a temporary one. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (crash simulation); directories are kept so `restart()` can recover from the WAL. */
  kill(): Promise<void>;
  /** Stops influxd if running and starts it again on the same port and directories. */
  restart(): Promise<void>;
}

export interface StartLocalInfluxdOptions {
  /** Keep data here (created if missing, never removed); default: a temporary directory removed by stop(). */
  dir?: string;
  /** HTTP port; default: a free one. */
  port?: number;
  /** influxd [logging] level; default "warn". */
  logLevel?: string;
  logFile?: string;
  /** Run continuous queries (off by default: nothing here needs them and they add background work). */
  continuousQueries?: boolean;
  /** Extra environment, e.g. the Go runtime's GOGC/GOMEMLIMIT the deployment sets (benchmarks use it). */
  env?: Readonly<Record<string, string>>;
}

function influxdConfig(
  dir: string,
  httpPort: number,
  rpcPort: number,
  opts: StartLocalInfluxdOptions,
): string {
  const q = (s: string) => JSON.stringify(s);
  // Debian's 1.6.7 spells the phone-home switch `reporting-enabled`; upstream 1.x `reporting-disabled`.
  // influxd ignores keys it does not know, so both are set.
  return `reporting-disabled = true
reporting-enabled = false
bind-address = ${q(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${q(join(dir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${q(join(dir, 'data'))}
  wal-dir = ${q(join(dir, 'wal'))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = ${q(opts.logLevel ?? 'warn')}
  suppress-logo = true

[continuous_queries]
  enabled = ${opts.continuousQueries ? 'true' : 'false'}
  log-enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
`;
}

/** influxd applies INFLUXDB_* environment variables over the config file: keep the caller's out. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('INFLUXDB_')) env[key] = value;
  }
  return env;
}

export async function startLocalInfluxd(opts: StartLocalInfluxdOptions = {}): Promise<LocalInfluxd> {
  const binary = requireExecutable('influxd', 'influxdb');
  const temporary = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'influxd-')));
  await mkdir(dir, { recursive: true });
  const logFile = opts.logFile ?? join(dir, 'influxd.log');
  const configFile = join(dir, 'influxd.conf');
  const env = { ...cleanEnv(), ...opts.env };

  let port = opts.port ?? 0;
  let proc: ManagedProcess | undefined;
  let stopped = false;

  async function launch(): Promise<ManagedProcess> {
    const p = spawnManaged(binary, ['run', '-config', configFile], { logFile, env, cwd: dir });
    try {
      // Starts in ~50 ms when empty; replaying a large WAL after kill() takes longer, hence 20 s of tries.
      await waitReady(p, () => httpAnswers(`http://127.0.0.1:${port}/ping`, 204), {
        what: 'influxd',
        logFile,
        tries: 400,
      });
    } catch (err) {
      await p.kill();
      throw err;
    }
    return p;
  }

  // A port found free can be taken before influxd binds it: with ports of our own choosing, try again.
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; proc === undefined; attempt++) {
    if (opts.port === undefined) port = await findFreePort();
    const rpcPort = await findFreePort();
    await writeFile(configFile, influxdConfig(dir, port, rpcPort, opts));
    try {
      proc = await launch();
    } catch (err) {
      if (attempt >= attempts) {
        if (temporary) await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  let current: ManagedProcess = proc;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    get pid() {
      return current.pid;
    },
    dataDir: dir,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await current.stop();
      if (temporary) await rm(dir, { recursive: true, force: true });
    },
    kill() {
      return current.kill();
    },
    async restart() {
      if (stopped) throw new Error('influxd was stopped for good; start a new one');
      await current.stop();
      current = await launch();
    },
  };
}
