import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  findFreePort,
  type ManagedProcess,
  requireExecutable,
  spawnManaged,
  waitReady,
} from '../../cli/local-influxd.js';

const execFileAsync = promisify(execFile);

/**
 * A real mosquitto (Debian `mosquitto`, 2.0.x) on a free loopback port with a generated config, for the
 * external-broker path (DESIGN.md §6).
 *
 * Defaults differ from mosquitto's on purpose: `max_queued_messages` is raised from 1000, because with
 * the default a QoS 1 burst from many publishers silently loses most messages (reference/anchors.md),
 * and persistence is off so every start is clean.
 */
export interface LocalMosquitto {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly logFile: string;
  /** SIGTERM, wait, SIGKILL after a deadline; removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface StartMosquittoOptions {
  dir?: string;
  port?: number;
  /** Default true; false requires one of `users`. */
  allowAnonymous?: boolean;
  /** username → password, written with `mosquitto_passwd` (hashed, as mosquitto requires). */
  users?: Record<string, string>;
  /** Default 1 000 000 (mosquitto's own default of 1000 drops QoS 1 bursts). */
  maxQueuedMessages?: number;
  /** Extra lines appended to the generated mosquitto.conf. */
  extraConfig?: string[];
}

async function writePasswordFile(file: string, users: Record<string, string>): Promise<void> {
  const tool = requireExecutable('mosquitto_passwd', 'mosquitto');
  await writeFile(file, '', { mode: 0o600 });
  for (const [user, password] of Object.entries(users)) {
    // -b: batch mode (password as argument); fine for throw-away test credentials.
    await execFileAsync(tool, ['-b', file, user, password]);
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function startMosquitto(opts: StartMosquittoOptions = {}): Promise<LocalMosquitto> {
  const binary = requireExecutable('mosquitto', 'mosquitto');
  const temporary = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'mosquitto-')));
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, 'mosquitto.log');
  const configFile = join(dir, 'mosquitto.conf');
  const users = opts.users ?? {};
  const hasUsers = Object.keys(users).length > 0;
  if (hasUsers) await writePasswordFile(join(dir, 'passwd'), users);

  function config(port: number): string {
    return [
      'per_listener_settings false',
      `listener ${port} 127.0.0.1`,
      `allow_anonymous ${opts.allowAnonymous ?? true}`,
      ...(hasUsers ? [`password_file ${join(dir, 'passwd')}`] : []),
      'persistence false',
      `max_queued_messages ${opts.maxQueuedMessages ?? 1_000_000}`,
      // Run as whoever we are: as root, mosquitto 2 otherwise drops to user "mosquitto", which cannot
      // read the password file in our 0700 temporary directory.
      `user ${userInfo().username}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_timestamp_format %Y-%m-%dT%H:%M:%S',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n');
  }

  let proc: ManagedProcess | undefined;
  let port = 0;
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; proc === undefined; attempt++) {
    port = opts.port ?? (await findFreePort());
    await writeFile(configFile, config(port));
    const p = spawnManaged(binary, ['-c', configFile], { logFile, cwd: dir });
    try {
      // mosquitto has no health endpoint: ready once the listener accepts TCP connections.
      await waitReady(p, () => tcpAccepts(port), { what: 'mosquitto', logFile });
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
  let stopped = false;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    pid: running.pid,
    dir,
    logFile,
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
