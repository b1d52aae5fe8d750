import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGrafanaAnnotator } from './annotations.js';
import { DATASOURCE_UID, FOLDER_UID } from './datasource.js';
import { createGrafanaClient, GrafanaApiError } from './grafana-client.js';
import { buildDashboards } from './index.js';
import { influxDatasourceSpec, pushDashboards } from './push.js';
import { checkRequest, createFakeGrafana } from './testing/fake-grafana.js';

/**
 * The Grafana client against a fake Grafana on 127.0.0.1 (testing/fake-grafana.ts) that checks every
 * request against the trimmed copy of Grafana's published OpenAPI description and keeps state like
 * Grafana does, so upserts take both the create and the update path.
 */

const TOKEN = 'glsa_test_token_0123456789';
const fake = createFakeGrafana(TOKEN);
const { recorded, violations, state } = fake;
let url: string;

beforeAll(async () => {
  url = await fake.listen();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  recorded.length = 0;
  violations.length = 0;
});

describe('the OpenAPI check has teeth', () => {
  it('rejects unknown operations and bodies that break the schema', () => {
    expect(checkRequest('DELETE', '/dashboards/db', undefined).violations).toHaveLength(1);
    expect(checkRequest('POST', '/annotations', { time: 1 }).violations.join()).toMatch(/text/);
    expect(checkRequest('POST', '/annotations', { text: 'x', time: 'soon' }).violations.join()).toMatch(
      /time/,
    );
    expect(checkRequest('POST', '/folders', { uid: 'a', title: 5 }).violations.join()).toMatch(/title/);
    expect(checkRequest('POST', '/annotations', { text: 'ok', time: 1, tags: ['a'] }).violations).toEqual([]);
  });
});

describe('dashboards push against a fake Grafana checked with the OpenAPI description', () => {
  const client = () => createGrafanaClient({ url, token: TOKEN });
  const influx = { url: 'http://influxdb:8086', db: 'emissions', token: 'influx-secret' };

  it('first push creates folder, datasource and every dashboard; requests conform', async () => {
    const result = await pushDashboards(client(), { datasource: influx });
    expect(violations).toEqual([]);
    expect(result.health.database).toBe('ok');
    expect(result.folder).toEqual({ uid: FOLDER_UID, created: true });
    expect(result.datasource).toEqual({ uid: DATASOURCE_UID, created: true });
    expect(result.dashboards.map((d) => d.uid)).toEqual(buildDashboards().map((d) => d.uid));
    expect(recorded.map((r) => r.operationId ?? `${r.method} ${r.path}`)).toEqual([
      'GET /health',
      'getFolderByUID',
      'createFolder',
      'getDataSourceByUID',
      'addDataSource',
      ...buildDashboards().map(() => 'postDashboard'),
    ]);
    const ds = state.datasources.get(DATASOURCE_UID)!;
    expect(ds).toMatchObject({
      type: 'influxdb',
      url: influx.url,
      jsonData: { version: 'InfluxQL', dbName: 'emissions', httpHeaderName1: 'Authorization' },
    });
    expect(ds.secureJsonData).toEqual({ httpHeaderValue1: 'Token influx-secret' });
    const saved = state.dashboards.get('emissions-overview')!;
    expect(saved.folderUid).toBe(FOLDER_UID);
    expect(saved.dashboard).toEqual(buildDashboards()[0]?.dashboard);
  });

  it('a second push updates in place (no duplicates) and still conforms', async () => {
    const result = await pushDashboards(client(), { datasource: influx });
    expect(violations).toEqual([]);
    expect(result.folder.created).toBe(false);
    expect(result.datasource?.created).toBe(false);
    expect(result.dashboards.every((d) => d.version === 2)).toBe(true);
    expect(recorded.map((r) => r.operationId).filter(Boolean)).toContain('updateDataSourceByUID');
    expect(state.dashboards.size).toBe(5);
    expect(state.folders.size).toBe(1);
  });

  it('the datasource body matches the provisioning file’s model', () => {
    expect(influxDatasourceSpec({ url: 'http://i:8086', db: 'd' })).not.toHaveProperty('secureJsonData');
    expect(checkRequest('POST', '/datasources', influxDatasourceSpec(influx)).violations).toEqual([]);
  });

  it('errors carry a stable code and never the token', async () => {
    const bad = createGrafanaClient({ url, token: 'wrong-token' });
    const err = await bad.upsertFolder({ uid: 'x', title: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrafanaApiError);
    expect(err).toMatchObject({ code: 'DSH_GRAFANA_HTTP', status: 401 });
    expect(String((err as Error).message)).not.toContain('wrong-token');
    const down = createGrafanaClient({ url: 'http://127.0.0.1:1', token: TOKEN, timeoutMs: 2000 });
    await expect(down.health()).rejects.toMatchObject({ code: 'DSH_GRAFANA_UNREACHABLE' });
  });
});

describe('annotations for alarm and warning transitions', () => {
  it('an alarm episode is one annotation: posted at open, updated on ack, a region up to the clear', async () => {
    const errors: unknown[] = [];
    const annotator = createGrafanaAnnotator(createGrafanaClient({ url, token: TOKEN }), {
      onError: (e) => errors.push(e),
    });
    const base = {
      alarmId: 'ALM-9',
      enterpriseName: '华能滨江热电有限公司',
      outletName: '1号机组烟囱',
      pollutant: 'a21026',
      rule: 'hourly_zs_exceedance',
      severity: 'exceedance',
      textZh: '二氧化硫小时折算均值 80.2 mg/m³ 超过限值 35 mg/m³',
    };
    const t0 = Date.parse('2026-11-23T10:00:00+08:00');
    await annotator.alarm({ ...base, transition: 'open', timeMs: t0 });
    await annotator.alarm({
      ...base,
      transition: 'ack',
      timeMs: t0 + 600_000,
      actor: '张三',
      textZh: '已通知企业',
    });
    await annotator.alarm({ ...base, transition: 'clear', timeMs: t0 + 3_600_000, textZh: '恢复正常' });
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    expect(recorded.map((r) => r.operationId)).toEqual([
      'postAnnotation',
      'updateAnnotation',
      'updateAnnotation',
    ]);
    const ids = [...state.annotations.keys()];
    const a = state.annotations.get(ids.at(-1)!)!;
    expect(a).toMatchObject({ time: t0, timeEnd: t0 + 3_600_000, dashboardUID: 'emissions-alarms' });
    expect(a.tags).toEqual(expect.arrayContaining(['报警', 'exceedance', 'alarm:ALM-9']));
    expect(String(a.text)).toContain('【确认】已通知企业（张三）');
    expect(String(a.text)).toContain('【解除】恢复正常');
  });

  it('a warning period is a region, ended at the actual lift', async () => {
    const annotator = createGrafanaAnnotator(createGrafanaClient({ url, token: TOKEN }));
    const w = {
      warningId: 'W-7',
      region: '滨江经开区',
      level: 'orange' as const,
      startMs: 1_000_000,
      textZh: '启动橙色预警',
    };
    await annotator.warning({ ...w, transition: 'issued', endMs: 9_000_000 });
    await annotator.warning({ ...w, transition: 'lifted', endMs: 5_000_000, textZh: '解除橙色预警' });
    expect(violations).toEqual([]);
    expect(recorded.map((r) => r.operationId)).toEqual(['postAnnotation', 'updateAnnotation']);
    const a = state.annotations.get([...state.annotations.keys()].at(-1)!)!;
    expect(a).toMatchObject({
      time: 1_000_000,
      timeEnd: 5_000_000,
      dashboardUID: 'emissions-heavy-pollution',
    });
  });

  it('a failing Grafana is reported to onError, not thrown at the engine', async () => {
    const errors: unknown[] = [];
    const annotator = createGrafanaAnnotator(
      createGrafanaClient({ url: 'http://127.0.0.1:1', timeoutMs: 1000 }),
      { onError: (e) => errors.push(e) },
    );
    await expect(
      annotator.warning({
        warningId: 'W-8',
        transition: 'issued',
        region: 'r',
        level: 'red',
        startMs: 1,
        endMs: 2,
        textZh: 'x',
      }),
    ).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
