// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${var} here is Grafana/Compose/InfluxDB syntax, not a JS template
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createAjv } from './ajv.js';

/**
 * The production deployment without a Docker engine (none can run here): docker-compose.yml validates
 * against the Compose Specification's JSON schema (test-fixtures/compose-spec.json, see SOURCES.md),
 * before and after variable interpolation; every secret is `${VAR:?}` and every variable is documented
 * in .env.example; every mounted path, build context and COPY source exists; the Dockerfile is
 * multi-stage on the official Node image, non-root, with a healthcheck.
 */

const ROOT = process.cwd();
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const compose = parseYaml(read('docker-compose.yml')) as ComposeFile;
const envExample = parseEnvFile(read('.env.example'));

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  volumes?: Array<string | { type: string; source?: string }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
  environment?: Record<string, string>;
  user?: string;
  profiles?: string[];
  configs?: Array<string | { source: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env.set(m[1] as string, m[2] as string);
  }
  return env;
}

/** A variable reference in the Compose file: ${NAME}, ${NAME:-d}, ${NAME-d}, ${NAME:?e}, ${NAME?e}, $NAME. */
interface VarRef {
  name: string;
  op?: ':-' | '-' | ':?' | '?' | ':+' | '+';
  arg?: string;
}

const VAR = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function varRefs(text: string): VarRef[] {
  const refs: VarRef[] = [];
  for (const m of text.matchAll(VAR)) {
    if (m[0] === '$$') continue; // escaped: a literal $ for the container's shell
    const name = (m[1] ?? m[4]) as string;
    const ref: VarRef = { name };
    if (m[2] !== undefined) {
      ref.op = m[2] as VarRef['op'] & string;
      ref.arg = m[3] ?? '';
    }
    refs.push(ref);
  }
  return refs;
}

/** Every string value of a parsed YAML document (Compose interpolates values, never comments or keys). */
function stringValues(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(stringValues);
  if (node && typeof node === 'object') return Object.values(node).flatMap(stringValues);
  return [];
}

function mapValues(node: unknown, f: (s: string) => string): unknown {
  if (typeof node === 'string') return f(node);
  if (Array.isArray(node)) return node.map((n) => mapValues(n, f));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapValues(v, f)]));
  return node;
}

/** Compose interpolation of a parsed file; throws listing every required variable that is unset. */
function interpolate(doc: unknown, env: ReadonlyMap<string, string>): unknown {
  const missing: string[] = [];
  const out = mapValues(doc, (text) => interpolateString(text, env, missing));
  if (missing.length > 0) throw new Error(`required variables unset:\n${[...new Set(missing)].join('\n')}`);
  return out;
}

function interpolateString(text: string, env: ReadonlyMap<string, string>, missing: string[]): string {
  return text.replace(
    VAR,
    (
      whole,
      braced: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = env.get(name);
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      switch (op) {
        case ':-':
          return nonEmpty ? (value as string) : (arg ?? '');
        case '-':
          return set ? (value as string) : (arg ?? '');
        case ':?':
          if (!nonEmpty) missing.push(`${name}: ${arg}`);
          return value ?? '';
        case '?':
          if (!set) missing.push(`${name}: ${arg}`);
          return value ?? '';
        default:
          return value ?? '';
      }
    },
  );
}

const SECRET = /PASSWORD|TOKEN|SECRET/;
const composeRefs = stringValues(compose).flatMap(varRefs);

function withSecrets(): Map<string, string> {
  const env = new Map(envExample);
  for (const [k, v] of env) if (v === '' && SECRET.test(k)) env.set(k, `test-${k.toLowerCase()}-0123456789`);
  return env;
}

function validator() {
  const schema = JSON.parse(read('dashboards/test-fixtures/compose-spec.json')) as Record<string, unknown>;
  // ajv knows draft-07 as `http://json-schema.org/draft-07/schema#`; the spec names it by its https URL.
  delete schema.$schema;
  const validate = createAjv().compile(schema);
  return (doc: unknown) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('docker-compose.yml', () => {
  const validate = validator();

  it('validates against the Compose Specification schema, as written and after interpolation', () => {
    expect(validate(compose)).toEqual([]);
    expect(validate(interpolate(compose, withSecrets()))).toEqual([]);
  });

  it('the schema check has teeth', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    (broken.services.app as Record<string, unknown>).restartt = 'always';
    (broken.services.grafana as Record<string, unknown>).depends_on = { influxdb: { condition: 'healthy' } };
    expect(validate(broken).length).toBeGreaterThan(0);
  });

  it('refuses to start without secrets: every secret is ${VAR:?} and the unfilled .env.example fails', () => {
    const refs = composeRefs;
    const secrets = refs.filter((r) => SECRET.test(r.name) || r.name === 'ALERTING_API_TOKENS');
    expect(secrets.length).toBeGreaterThan(4);
    for (const r of secrets) expect(r.op, `${r.name} must be \${${r.name}:?…}`).toBe(':?');
    expect(() => interpolate(compose, envExample)).toThrow(
      /INFLUX_TOKEN[\s\S]*GRAFANA_ADMIN_PASSWORD|GRAFANA_ADMIN_PASSWORD[\s\S]*INFLUX_TOKEN/,
    );
    expect(() => interpolate(compose, withSecrets())).not.toThrow();
  });

  it('every variable it uses is documented in .env.example', () => {
    const undocumented = [...new Set(composeRefs.map((r) => r.name))].filter((n) => !envExample.has(n));
    expect(undocumented).toEqual([]);
    // Secrets are documented without a value.
    for (const [k, v] of envExample) if (SECRET.test(k)) expect(v, k).toBe('');
  });

  it('every mounted path, build context and Dockerfile exists; named volumes and configs are declared', () => {
    const doc = interpolate(compose, withSecrets()) as ComposeFile;
    for (const [name, svc] of Object.entries(doc.services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : v.source;
        expect(source, `${name} volume`).toBeDefined();
        if (!source) continue;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(join(ROOT, source)), `${name}: ${source} does not exist`).toBe(true);
        } else {
          expect(doc.volumes ?? {}, `${name}: volume ${source} not declared`).toHaveProperty(source);
        }
      }
      for (const c of svc.configs ?? []) {
        const source = typeof c === 'string' ? c : c.source;
        expect(doc.configs ?? {}, `${name}: config ${source}`).toHaveProperty(source);
      }
      if (svc.build) {
        const context = typeof svc.build === 'string' ? svc.build : (svc.build.context ?? '.');
        const dockerfile =
          typeof svc.build === 'string' ? 'Dockerfile' : (svc.build.dockerfile ?? 'Dockerfile');
        expect(existsSync(join(ROOT, context, dockerfile))).toBe(true);
      }
    }
    const initScript = join(ROOT, 'dashboards/influxdb-init/10-dbrp.sh');
    expect(() => accessSync(initScript, constants.X_OK)).not.toThrow();
    expect(statSync(join(ROOT, 'dashboards/provisioning/dashboards/overview.json')).isFile()).toBe(true);
  });

  it('start-up order waits on healthchecks; every service has one; only the broker is optional', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.healthcheck, `${name} healthcheck`).toBeDefined();
      for (const [dep, cond] of Object.entries(svc.depends_on ?? {})) {
        expect(cond.condition, `${name} → ${dep}`).toBe('service_healthy');
        expect(compose.services[dep]?.healthcheck, dep).toBeDefined();
      }
    }
    expect(
      Object.entries(compose.services)
        .filter(([, s]) => s.profiles)
        .map(([n]) => n),
    ).toEqual(['mosquitto']);
    expect(compose.services.app?.depends_on).toHaveProperty('influxdb');
    expect(compose.services.grafana?.depends_on).toHaveProperty('influxdb');
  });

  it('Grafana gets the variables its datasource provisioning file expands, and the provisioning mounts', () => {
    const provisioning = parseYaml(read('dashboards/provisioning/datasources/influxdb.yaml')) as unknown;
    const needed = [
      ...new Set(
        stringValues(provisioning)
          .flatMap(varRefs)
          .map((r) => r.name),
      ),
    ];
    expect(needed.sort()).toEqual(['INFLUX_DB', 'INFLUX_TOKEN', 'INFLUX_URL']);
    const env = compose.services.grafana?.environment ?? {};
    for (const n of needed) expect(env, n).toHaveProperty(n);
    expect(compose.services.grafana?.volumes).toEqual(
      expect.arrayContaining([
        './dashboards/provisioning/datasources:/etc/grafana/provisioning/datasources:ro',
        './dashboards/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro',
      ]),
    );
    const influx = compose.services.influxdb;
    expect(influx?.volumes).toContain('./dashboards/influxdb-init:/docker-entrypoint-initdb.d:ro');
    expect(
      Object.keys(influx?.environment ?? {})
        .filter((k) => k.startsWith('DOCKER_INFLUXDB_INIT_'))
        .sort(),
    ).toEqual(
      ['ADMIN_TOKEN', 'BUCKET', 'MODE', 'ORG', 'PASSWORD', 'RETENTION', 'USERNAME'].map(
        (k) => `DOCKER_INFLUXDB_INIT_${k}`,
      ),
    );
  });

  it('the DBRP init script is valid sh and maps the bucket as the default InfluxQL database', () => {
    const script = read('dashboards/influxdb-init/10-dbrp.sh');
    execFileSync('sh', ['-n', join(ROOT, 'dashboards/influxdb-init/10-dbrp.sh')]);
    expect(script).toMatch(/influx v1 dbrp create/);
    expect(script).toMatch(/--bucket-id "\$\{DOCKER_INFLUXDB_INIT_BUCKET_ID\}"/);
    expect(script).toMatch(/--default/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const dockerignore = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('is multi-stage on the official Node image, runs as a non-root user and has a healthcheck', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-[a-z-]+$/m);
    for (const f of froms) expect(f[1]).toBe('${NODE_IMAGE}');
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('copies only sources that exist and are not excluded from the build context', () => {
    const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(?:--chown=\S+\s+)?(.+)$/gm)].flatMap((m) => {
      const parts = (m[1] as string).trim().split(/\s+/);
      return parts.slice(0, -1);
    });
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) {
      expect(existsSync(join(ROOT, s)), `COPY ${s}`).toBe(true);
      expect(dockerignore.includes(s), `COPY ${s} is excluded by .dockerignore`).toBe(false);
    }
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', '.env', '.git']));
  });
});
