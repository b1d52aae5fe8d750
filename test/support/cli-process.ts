import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the `emissions` CLI from source (tsx) as a real child process, so tests exercise process-level
 * behaviour: env parsing, exit codes, signals. Output goes to a log file for post-mortems.
 */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Resolves when a JSON log line with this msg appears on stdout. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

const ROOT = join(import.meta.dirname, '..', '..');

export function runCli(
  args: readonly string[],
  opts: {
    env: Record<string, string>;
    logFile: string;
    nodeArgs?: readonly string[];
    /**
     * Run the compiled CLI (`bin/emissions.js` → dist/, as deployed) instead of the sources through tsx.
     * Benchmarks use it: tsx's transform (e.g. its `__name` wrappers) is not what production runs.
     */
    fromBuild?: boolean;
  },
): CliProcess {
  const entry = opts.fromBuild
    ? [join(ROOT, 'bin/emissions.js')]
    : ['--import', 'tsx', join(ROOT, 'test/support/cli-entry.ts')];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry, ...args], {
    cwd: ROOT,
    // A minimal environment so no developer setting leaks in; TMPDIR keeps the run's temporary root.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(opts.logFile);
  const waiters: Array<{ msg: string; resolve: (line: Record<string, unknown>) => void }> = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        if (w && parsed.msg === w.msg) {
          waiters.splice(i, 1);
          w.resolve(parsed);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    waitForLog(msg) {
      return new Promise((resolve, reject) => {
        waiters.push({ msg, resolve });
        exited.then((code) =>
          reject(new Error(`process exited (${code}) before logging "${msg}"; see ${opts.logFile}`)),
        );
      });
    },
    kill(signal) {
      child.kill(signal);
    },
  };
}
