import { DATASOURCE_NAME, DATASOURCE_TYPE, DATASOURCE_UID, FOLDER_TITLE, FOLDER_UID } from './datasource.js';
import type {
  DatasourceSpec,
  GrafanaClient,
  GrafanaHealth,
  SavedDashboard,
  UpsertResult,
} from './grafana-client.js';
import { buildDashboards } from './index.js';

/**
 * `emissions dashboards push`: for sites that run their own Grafana instead of the provisioned one in
 * docker-compose. Idempotent: the folder and datasource are upserted by uid, dashboards are saved with
 * overwrite by uid, so pushing again replaces them.
 */

export interface InfluxDatasourceTarget {
  /** InfluxDB URL as Grafana (not this process) reaches it. */
  url: string;
  /** 1.x database, or the DBRP database name on 2.x. */
  db: string;
  /** 2.x/3.x token, sent as `Authorization: Token …`. */
  token?: string;
}

/** The same datasource the provisioning file declares, as an API body. */
export function influxDatasourceSpec(target: InfluxDatasourceTarget): DatasourceSpec {
  const spec: DatasourceSpec = {
    uid: DATASOURCE_UID,
    name: DATASOURCE_NAME,
    type: DATASOURCE_TYPE,
    access: 'proxy',
    url: target.url,
    isDefault: true,
    jsonData: { version: 'InfluxQL', dbName: target.db, httpMode: 'POST', timeInterval: '1m' },
  };
  if (target.token) {
    spec.jsonData = { ...spec.jsonData, httpHeaderName1: 'Authorization' };
    spec.secureJsonData = { httpHeaderValue1: `Token ${target.token}` };
  }
  return spec;
}

export interface PushResult {
  health: GrafanaHealth;
  folder: UpsertResult;
  datasource?: UpsertResult;
  dashboards: SavedDashboard[];
}

export async function pushDashboards(
  client: GrafanaClient,
  opts: { datasource?: InfluxDatasourceTarget; folderUid?: string; folderTitle?: string } = {},
): Promise<PushResult> {
  const health = await client.health();
  const folder = await client.upsertFolder({
    uid: opts.folderUid ?? FOLDER_UID,
    title: opts.folderTitle ?? FOLDER_TITLE,
    description: '污染源自动监控平台看板（由 emissions dashboards push 维护）',
  });
  const result: PushResult = { health, folder, dashboards: [] };
  if (opts.datasource)
    result.datasource = await client.upsertDatasource(influxDatasourceSpec(opts.datasource));
  for (const { dashboard } of buildDashboards()) {
    result.dashboards.push(await client.upsertDashboard(dashboard, { folderUid: folder.uid }));
  }
  return result;
}
