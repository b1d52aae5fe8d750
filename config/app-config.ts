import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ALERTING_ENV_MAP, AlertingConfig } from '../alerting/config.js';
import { HEAVY_POLLUTION_ENV_MAP, HeavyPollutionConfig } from '../alerting/heavy-pollution/config.js';
import { errorMessage, PipelineError } from '../core/errors.js';
import { HJ212_ENV_MAP, Hj212Config } from '../ingest/hj212-intake/config.js';
import { deepFreeze, isValidTimeZone } from './registry.js';
import { formatIssues } from './zod-issues.js';

/**
 * Application configuration. Sources, later wins: built-in defaults < optional YAML file
 * (EMISSIONS_CONFIG_FILE) < environment variables. Validated once, every problem listed, then frozen.
 * Secrets (InfluxDB password/token) have no defaults.
 */

const Port = z.coerce.number().int().min(0).max(65535);
const PositiveInt = z.coerce.number().int().positive();
const Bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
const Url = z.url({ protocol: /^https?$/ });

const InfluxV1 = z.strictObject({
  api: z.literal('v1'),
  url: Url,
  db: z.string().min(1),
  retentionPolicy: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
});

const InfluxV2 = z.strictObject({
  api: z.literal('v2'),
  url: Url,
  org: z.string().min(1),
  bucket: z.string().min(1),
  token: z.string().min(1),
  /** InfluxQL reads on 2.x go through /query with a DBRP mapping; name the mapped database here. */
  db: z.string().min(1).optional(),
});

export const AppConfig = z.strictObject({
  registryFile: z.string().min(1),
  timeZone: z.string().default('Asia/Shanghai'),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
    .prefault({}),
  mqtt: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: Port.default(1883),
      /** Off unless explicitly turned on: anonymous clients could publish as any device otherwise. */
      allowAnonymous: Bool.default(false),
      maxPayloadBytes: PositiveInt.default(64 * 1024),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: Port.default(8080),
    })
    .prefault({}),
  influx: z.discriminatedUnion('api', [InfluxV1, InfluxV2]),
  write: z
    .strictObject({
      batchSize: PositiveInt.default(5000),
      flushIntervalMs: PositiveInt.default(1000),
      /** Points held in memory waiting for InfluxDB; above it intake waits (backpressure), never drops. */
      maxPendingPoints: PositiveInt.default(200_000),
      timeoutMs: PositiveInt.default(10_000),
      maxInFlight: PositiveInt.default(4),
      /**
       * Spool mode: target write request body size (≈ 3 800 points per MiB). 8 MiB: each request costs
       * a few event-loop turns, so under load larger bodies drain faster (after a 2-min outage 3.1× vs
       * 2.5× the ingest rate with 2 MiB, docs/benchmarks.md); below InfluxDB's 25 MB and
       * VictoriaMetrics' 32 MB body limits.
       */
      batchBytes: PositiveInt.default(8 * 1024 ** 2),
      retryInitialMs: PositiveInt.default(500),
      // Capped low: after an outage the drain must resume within seconds, not after a 30 s backoff.
      retryMaxMs: PositiveInt.default(5_000),
    })
    .prefault({}),
  spool: z
    .strictObject({
      /**
       * `disk` (default): every accepted reading is synced to the spool before the gateway is acked, so
       * nothing acknowledged is lost in a crash or an InfluxDB outage. `memory`: a bounded in-memory
       * buffer (faster, not crash-safe; for tests and throw-away demos only).
       */
      mode: z.enum(['disk', 'memory']).default('disk'),
      dir: z.string().min(1).default('data/spool'),
      /** Unconfirmed data kept at most; above it gateways wait for acks (never dropped). */
      maxBytes: PositiveInt.default(1024 ** 3),
      segmentBytes: PositiveInt.default(64 * 1024 ** 2),
      checkpointIntervalMs: PositiveInt.default(200),
    })
    .prefault({}),
  shutdownDeadlineMs: PositiveInt.default(15_000),
  /** Exceedance alarms (alerting/config.ts; README "Alarms"). */
  alerting: AlertingConfig.prefault({}),
  /** Heavy-pollution weather: AQI, warnings, measures (alerting/heavy-pollution; README "重污染天气"). */
  heavyPollution: HeavyPollutionConfig.prefault({}),
  /** HJ 212 TCP listener, CRC policy, clock drift (ingest/hj212-intake/config.ts; README "HJ 212"). */
  hj212: Hj212Config.prefault({}),
  /**
   * A Grafana to annotate alarm and warning transitions on (README "Dashboards"): on when both `url` and
   * `token` (a service-account token; secret, no default) are set.
   */
  grafana: z
    .strictObject({
      url: Url.optional(),
      token: z.string().min(1).optional(),
      timeoutMs: PositiveInt.default(5000),
      /** Attempts per annotation request (network errors, 429, 5xx are retried). */
      attempts: z.coerce.number().int().min(1).max(10).default(3),
    })
    .refine((g) => g.url === undefined || g.token !== undefined, {
      message: 'GRAFANA_TOKEN is required when GRAFANA_URL is set',
      path: ['token'],
    })
    .prefault({}),
});

export type AppConfig = z.infer<typeof AppConfig>;
export type InfluxConfig = AppConfig['influx'];

/** Environment variable → config path. Documented in the README's configuration reference. */
export const ENV_MAP: Readonly<Record<string, string>> = {
  EMISSIONS_REGISTRY: 'registryFile',
  EMISSIONS_TIME_ZONE: 'timeZone',
  LOG_LEVEL: 'log.level',
  MQTT_HOST: 'mqtt.host',
  MQTT_PORT: 'mqtt.port',
  MQTT_ALLOW_ANONYMOUS: 'mqtt.allowAnonymous',
  MQTT_MAX_PAYLOAD_BYTES: 'mqtt.maxPayloadBytes',
  HTTP_HOST: 'http.host',
  HTTP_PORT: 'http.port',
  INFLUX_API: 'influx.api',
  INFLUX_URL: 'influx.url',
  INFLUX_DB: 'influx.db',
  INFLUX_RETENTION_POLICY: 'influx.retentionPolicy',
  INFLUX_USERNAME: 'influx.username',
  INFLUX_PASSWORD: 'influx.password',
  INFLUX_ORG: 'influx.org',
  INFLUX_BUCKET: 'influx.bucket',
  INFLUX_TOKEN: 'influx.token',
  WRITE_BATCH_SIZE: 'write.batchSize',
  WRITE_FLUSH_INTERVAL_MS: 'write.flushIntervalMs',
  WRITE_MAX_PENDING_POINTS: 'write.maxPendingPoints',
  WRITE_TIMEOUT_MS: 'write.timeoutMs',
  WRITE_MAX_IN_FLIGHT: 'write.maxInFlight',
  WRITE_RETRY_INITIAL_MS: 'write.retryInitialMs',
  WRITE_RETRY_MAX_MS: 'write.retryMaxMs',
  WRITE_BATCH_BYTES: 'write.batchBytes',
  SPOOL_MODE: 'spool.mode',
  SPOOL_DIR: 'spool.dir',
  SPOOL_MAX_BYTES: 'spool.maxBytes',
  SPOOL_SEGMENT_BYTES: 'spool.segmentBytes',
  SPOOL_CHECKPOINT_INTERVAL_MS: 'spool.checkpointIntervalMs',
  SHUTDOWN_DEADLINE_MS: 'shutdownDeadlineMs',
  GRAFANA_URL: 'grafana.url',
  GRAFANA_TOKEN: 'grafana.token',
  GRAFANA_TIMEOUT_MS: 'grafana.timeoutMs',
  GRAFANA_ATTEMPTS: 'grafana.attempts',
  ...ALERTING_ENV_MAP,
  ...HEAVY_POLLUTION_ENV_MAP,
  ...HJ212_ENV_MAP,
};

export const CONFIG_FILE_ENV = 'EMISSIONS_CONFIG_FILE';

type Tree = { [key: string]: unknown };

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next && typeof next === 'object') node = next as Tree;
    else {
      const created: Tree = {};
      node[key] = created;
      node = created;
    }
  }
  node[keys[keys.length - 1] as string] = value;
}

function readConfigFile(path: string): Tree {
  try {
    const doc: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('top level must be a mapping');
    return doc as Tree;
  } catch (err) {
    throw new PipelineError('CFG_FILE_UNREADABLE', `cannot read config file ${path}: ${errorMessage(err)}`);
  }
}

/**
 * Builds the config from env (and the file it names). Throws one CFG_INVALID error that lists every
 * problem with its path and the environment variable that sets it.
 */
export function loadAppConfig(env: Readonly<Record<string, string | undefined>>): Readonly<AppConfig> {
  const filePath = env[CONFIG_FILE_ENV];
  const tree: Tree = filePath ? readConfigFile(filePath) : {};
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(tree, path, value);
  }
  const parsed = AppConfig.safeParse(tree);
  const envByPath = new Map(Object.entries(ENV_MAP).map(([name, path]) => [path, name]));
  const problems = parsed.success
    ? []
    : formatIssues(parsed.error).map((line) => withEnvHint(line, envByPath));
  if (parsed.success && !isValidTimeZone(parsed.data.timeZone)) {
    problems.push(`timeZone (EMISSIONS_TIME_ZONE): unknown time zone "${parsed.data.timeZone}"`);
  }
  if (!parsed.success || problems.length > 0) {
    throw new PipelineError('CFG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      problems,
    });
  }
  return deepFreeze(parsed.data);
}

function withEnvHint(line: string, envByPath: Map<string, string>): string {
  const path = line.slice(0, line.indexOf(':'));
  const name = envByPath.get(path);
  return name ? line.replace(path, `${path} (${name})`) : line;
}
