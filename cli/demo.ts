import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAppConfig } from '../config/app-config.js';
import { loadRegistry, type Registry } from '../config/registry.js';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { influxQueryOne, seriesRows } from '../ingest/influx-query.js';
import { parseDuration } from '../simulator/cli.js';
import { parseScenario, type Scenario } from '../simulator/scenario.js';
import { createSimulation } from '../simulator/simulation.js';
import { type LocalInfluxd, startLocalInfluxd } from './local-influxd.js';
import { startService } from './serve.js';

/**
 * `emissions demo`: the whole pipeline on one machine for a first look. A throw-away InfluxDB (Debian
 * influxd) in --dir, `serve` with its embedded broker, and the simulator for every gateway of the
 * registry. The simulator starts --backfill in the past and catches up as fast as acks allow, so the
 * dashboards have history at once, then continues in real time.
 */
const DB = 'emissions';
const STATUS_EVERY_MS = 30_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runDemo(
  opts: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const dir = resolve(opts.dir ?? '.demo');
  mkdirSync(dir, { recursive: true });
  const logPath = resolve(dir, 'emissions.log');
  const log = createLogger({
    level: env.LOG_LEVEL ?? 'info',
    destination: createWriteStream(logPath, { flags: 'a' }),
  });
  const registryFile = resolve(opts.registry ?? 'config/examples/park.yaml');
  const backfillSec = parseDuration(opts.backfill ?? '6h');
  if (backfillSec === undefined)
    throw new Error(`--backfill: "${opts.backfill}" is not a duration such as 6h`);

  say(`启动本地 InfluxDB / starting a local InfluxDB in ${dir}/influxdb …`);
  const influxd = await startLocalInfluxd({ dir: resolve(dir, 'influxdb') });
  try {
    return await runAgainst(influxd, { opts, env, dir, log, logPath, registryFile, backfillSec });
  } finally {
    // Also on a failed start (a port in use, a bad registry): never leave the database running.
    await influxd.stop();
  }
}

async function runAgainst(
  influxd: LocalInfluxd,
  ctx: {
    opts: Record<string, string | undefined>;
    env: NodeJS.ProcessEnv;
    dir: string;
    log: Logger;
    logPath: string;
    registryFile: string;
    backfillSec: number;
  },
): Promise<number> {
  const { opts, env, dir, log, logPath, registryFile, backfillSec } = ctx;
  const apiToken = randomBytes(18).toString('base64url');
  const config = loadAppConfig({
    ...env,
    EMISSIONS_REGISTRY: registryFile,
    SPOOL_DIR: resolve(dir, 'spool'),
    INFLUX_API: 'v1',
    INFLUX_URL: influxd.url,
    INFLUX_DB: DB,
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: opts.mqttPort ?? '1883',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: opts.httpPort ?? '8080',
    HJ212_TCP_HOST: '127.0.0.1',
    HJ212_TCP_PORT: opts.hj212Port ?? '9212',
    ALERTING_ENABLED: 'true',
    ALERTING_STATE_DIR: resolve(dir, 'alerting'),
    // A fresh token per demo run: secrets never have defaults, not even in a demo.
    ALERTING_API_TOKENS: `demo:admin:${apiToken}`,
  });
  const service = await startService(config, { log, clock: systemClock });
  const registry = loadRegistry(registryFile);
  const intervalSec = 60;
  const now = systemClock.now();
  const start = new Date(Math.floor((now - backfillSec * 1000) / (intervalSec * 1000)) * intervalSec * 1000);
  const sim = createSimulation(
    {
      brokerUrl: `mqtt://127.0.0.1:${service.mqttPort}`,
      registry,
      intervalSec,
      speed: 1,
      followClock: true,
      start,
      seed: 1,
      scenario: demoExceedance(registry, now),
    },
    { log },
  );
  await sim.start();

  const http = `http://127.0.0.1:${service.httpPort}`;
  say('');
  say('污染源自动监控 演示已启动 / the emissions pipeline demo is running');
  say(`  站点 registry:       ${registryFile} (${registry.entries().length} 个排口 outlets)`);
  say(
    `  MQTT 接入 broker:    mqtt://127.0.0.1:${service.mqttPort}  (username = MN, password from the registry)`,
  );
  say(`  HJ 212 TCP:          127.0.0.1:${service.hj212TcpPort}`);
  say(`  报警 alarms API:     curl -H 'Authorization: Bearer ${apiToken}' ${http}/api/v1/alarms`);
  say(`  接口文档 API docs:   ${http}/docs`);
  say(`  指标 metrics:        ${http}/metrics`);
  say(`  就绪 readiness:      ${http}/readyz`);
  say(`  InfluxDB:            ${influxd.url}  database "${DB}"`);
  say(
    `    influx -port ${influxd.port} -database ${DB} -execute 'SELECT * FROM emission_rtd ORDER BY time DESC LIMIT 10'`,
  );
  say(`  日志 logs:           ${logPath}`);
  say(
    `  模拟数据 simulator:  ${registry.entries().length} gateways, one reading a minute, backfilled from ${start.toISOString()}`,
  );
  say(
    '    (1号机组 SO2 is tripled for two hours of the backfill: its hourly 折算 means exceed the ultra-low limit)',
  );
  say('  Ctrl-C 停止 / to stop');
  say('');

  const status = setInterval(() => {
    influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd')
      .then((s) => say(`已入库 points stored: ${seriesRows(s)[0]?.count ?? 0}`))
      .catch((err: unknown) => say(`status query failed: ${errorMessage(err)}`));
  }, STATUS_EVERY_MS);

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  clearInterval(status);
  say('停止中 / stopping …');
  await sim.stop();
  const { unwritten } = await service.stop();
  say(unwritten === 0 ? '已停止 / stopped' : `stopped with ${unwritten} points not written`);
  return unwritten === 0 ? 0 : 1;
}

/** Two hours of tripled SO2 at the first power unit, ending an hour ago: an exceedance to look at. */
function demoExceedance(registry: Registry, nowMs: number): Scenario | undefined {
  const unit = registry.entries().find((e) => e.outlet.sourceType === 'coal-power');
  if (!unit) return undefined;
  const hour = 3_600_000;
  const end = Math.floor(nowMs / hour) * hour - hour;
  return parseScenario(
    {
      rules: [
        {
          outlet: unit.outlet.id,
          code: 'a21026',
          from: new Date(end - 2 * hour).toISOString(),
          to: new Date(end).toISOString(),
          multiply: 3,
          note: 'demo: SO2 exceedance',
        },
      ],
    },
    { timeZone: registry.timeZone, registry },
    'demo scenario',
  );
}
