// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${var} here is Grafana/Compose/InfluxDB syntax, not a JS template
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { Ajv, type ErrorObject } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PROVISIONING_DIR } from './build.js';
import { DATASOURCE_UID } from './datasource.js';
import { buildDashboards, provisioningFiles } from './index.js';
import { dashboardQueries, referencedVariables } from './queries.js';

/**
 * The generated provisioning files: up to date, valid against Grafana's dashboard schema, and internally
 * consistent (datasource by uid, stable uids, every variable a query uses exists).
 *
 * Schema: the foundation SDK's dashboard types are generated from Grafana's own CUE schema (the
 * `dashboard` kind), and the JSON Schema the SDK publishes lags behind its npm releases; so the schema is
 * derived here from the installed SDK's `dashboard/types.gen.d.ts` (and the panel plugins' `Options` /
 * `FieldConfig` types), which is exactly the schema version the builders target. Interfaces are closed
 * (`additionalProperties: false`), so a misspelt key fails. `Dataquery` is datasource-specific and left
 * open by Grafana; it is replaced by the InfluxQL target schema below.
 */

const SDK = join(process.cwd(), 'node_modules/@grafana/grafana-foundation-sdk/dist');

function generate(path: string, type: string): Record<string, unknown> {
  return createGenerator({
    path,
    type,
    skipTypeCheck: true,
    functions: 'hide',
    expose: 'all',
    topRef: true,
  }).createSchema(type) as unknown as Record<string, unknown>;
}

/** The raw InfluxQL model (dashboards/influxql.ts) for panel targets and annotation targets. */
const INFLUXQL_TARGET = {
  type: 'object',
  required: ['refId', 'query', 'rawQuery'],
  additionalProperties: false,
  properties: {
    refId: { type: 'string', minLength: 1 },
    datasource: {
      type: 'object',
      properties: { type: { const: 'influxdb' }, uid: { const: DATASOURCE_UID } },
      required: ['uid'],
      additionalProperties: false,
    },
    query: { type: 'string', minLength: 1 },
    rawQuery: { const: true },
    resultFormat: { enum: ['time_series', 'table'] },
    alias: { type: 'string' },
    queryType: { const: 'tags' },
    fromAnnotations: { const: true },
    textColumn: { type: 'string' },
    titleColumn: { type: 'string' },
    tagsColumn: { type: 'string' },
    timeEndColumn: { type: 'string' },
  },
};

/** Panel plugin → where its custom field config type lives (timeseries/table alias common types; stat has none). */
const PANEL_TYPES: Record<string, { options: string; custom?: [file: string, type: string] }> = {
  timeseries: { options: 'timeseries/types.gen.d.ts', custom: ['common/types.gen.d.ts', 'GraphFieldConfig'] },
  table: { options: 'table/types.gen.d.ts', custom: ['common/types.gen.d.ts', 'TableFieldOptions'] },
  stat: { options: 'stat/types.gen.d.ts' },
  'state-timeline': {
    options: 'statetimeline/types.gen.d.ts',
    custom: ['statetimeline/types.gen.d.ts', 'FieldConfig'],
  },
};
const EMPTY = { type: 'object', additionalProperties: false };

const dashboards = buildDashboards();
let validateDashboard: (d: unknown) => ErrorObject[];
const validatePanel = new Map<
  string,
  { options: (o: unknown) => ErrorObject[]; custom: (o: unknown) => ErrorObject[] }
>();

function compile(ajv: Ajv, schema: Record<string, unknown>): (d: unknown) => ErrorObject[] {
  const v = ajv.compile(schema);
  return (d) => (v(d) ? [] : (v.errors ?? []));
}

beforeAll(() => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schema = generate(join(SDK, 'dashboard/types.gen.d.ts'), 'Dashboard');
  (schema.definitions as Record<string, unknown>).Dataquery = INFLUXQL_TARGET;
  validateDashboard = compile(ajv, schema);
  for (const [type, where] of Object.entries(PANEL_TYPES)) {
    const custom = where.custom ? generate(join(SDK, where.custom[0]), where.custom[1]) : EMPTY;
    validatePanel.set(type, {
      options: compile(ajv, generate(join(SDK, where.options), 'Options')),
      custom: compile(ajv, custom),
    });
  }
}, 60_000);

describe('generated provisioning files', () => {
  it('the committed files are what the code generates (run `npx tsx dashboards/build.ts` after changing dashboards/*.ts)', () => {
    const files = provisioningFiles();
    for (const [rel, content] of files) {
      expect(readFileSync(join(PROVISIONING_DIR, rel), 'utf8'), `${rel} is stale`).toBe(content);
    }
    const committed = readdirSync(join(PROVISIONING_DIR, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual(
      [...files.keys()]
        .filter((k) => k.endsWith('.json'))
        .map((k) => k.slice('dashboards/'.length))
        .sort(),
    );
  });

  it('every dashboard validates against the dashboard schema of the SDK version in use', () => {
    for (const { file, dashboard } of dashboards) expect(validateDashboard(dashboard), file).toEqual([]);
  });

  it('every panel’s options and custom field config validate against its plugin schema', () => {
    for (const { file, dashboard } of dashboards) {
      for (const p of dashboard.panels ?? []) {
        if (p.type === 'row') continue;
        const panel = p as Panel;
        const v = validatePanel.get(panel.type);
        expect(v, `${file}: unexpected panel type ${panel.type}`).toBeDefined();
        expect(v?.options(panel.options), `${file} ${panel.title} options`).toEqual([]);
        expect(
          v?.custom(panel.fieldConfig?.defaults.custom ?? {}),
          `${file} ${panel.title} fieldConfig.custom`,
        ).toEqual([]);
      }
    }
  });

  it('a broken dashboard fails the schema (the check has teeth)', () => {
    const d = structuredClone(dashboards[0]?.dashboard) as unknown as Record<string, unknown>;
    d.refersh = '1m';
    expect(validateDashboard(d).length).toBeGreaterThan(0);
  });

  it('uids are stable and unique; titles are Chinese; the time zone is Asia/Shanghai', () => {
    expect(dashboards.map((d) => d.uid)).toEqual([
      'emissions-overview',
      'emissions-outlet',
      'emissions-alarms',
      'emissions-heavy-pollution',
      'emissions-data-quality',
    ]);
    for (const { dashboard } of dashboards) {
      expect(dashboard.title).toMatch(/^[\u4e00-\u9fff]/);
      expect(dashboard.timezone).toBe('Asia/Shanghai');
      for (const p of dashboard.panels ?? [])
        expect(p.title, JSON.stringify(p.title)).toMatch(/[\u4e00-\u9fff]/);
      for (const v of dashboard.templating.list ?? []) expect(v.label).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('panels, variables and annotations reference the datasource by uid, and only defined variables', () => {
    const builtIn = new Set(['timeFilter', '__interval', '__interval_ms', 'interval', '__from', '__to']);
    for (const { file, dashboard } of dashboards) {
      const names = new Set((dashboard.templating.list ?? []).map((v) => v.name));
      const json = JSON.stringify(dashboard);
      for (const m of json.matchAll(/"datasource":\{([^}]*)\}/g)) {
        expect(m[1], file).toMatch(/"uid":"(emissions-influxdb|-- Grafana --)"/);
      }
      const queries = [
        ...dashboardQueries(dashboard).map((q) => q.query),
        ...(dashboard.templating.list ?? []).map((v) => String(v.query ?? '')),
      ];
      for (const q of queries) {
        for (const name of referencedVariables(q))
          expect(builtIn.has(name) || names.has(name), `${file}: $${name} in ${q}`).toBe(true);
      }
    }
  });

  it('local-day buckets use GROUP BY time(1d, -8h), never tz()', () => {
    const all = dashboards.flatMap((d) => dashboardQueries(d.dashboard).map((q) => q.query));
    expect(all.some((q) => q.includes('time(1d, -8h)'))).toBe(true);
    expect(all.filter((q) => /time\(1d\)|tz\(/.test(q))).toEqual([]);
  });

  it('datasource provisioning: InfluxQL, token injected from the environment as a header', () => {
    const doc = parseYaml(provisioningFiles().get('datasources/influxdb.yaml') as string) as {
      datasources: Array<
        Record<string, unknown> & {
          jsonData: Record<string, unknown>;
          secureJsonData: Record<string, unknown>;
        }
      >;
    };
    const [ds] = doc.datasources;
    expect(ds).toMatchObject({ uid: DATASOURCE_UID, type: 'influxdb', url: '${INFLUX_URL}' });
    expect(ds?.jsonData).toMatchObject({
      version: 'InfluxQL',
      dbName: '${INFLUX_DB}',
      httpHeaderName1: 'Authorization',
    });
    expect(ds?.secureJsonData).toEqual({ httpHeaderValue1: 'Token ${INFLUX_TOKEN}' });
    const provider = parseYaml(provisioningFiles().get('dashboards/dashboards.yaml') as string) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provider.providers[0]?.options.path).toBe('/etc/grafana/provisioning/dashboards');
  });
});
