import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { alarmsDashboard } from './alarms.js';
import { UID } from './common.js';
import { dataQualityDashboard } from './data-quality.js';
import { dashboardProviderYaml, datasourceProvisioningYaml } from './datasource.js';
import { heavyPollutionDashboard } from './heavy-pollution.js';
import { outletDashboard } from './outlet.js';
import { overviewDashboard } from './overview.js';

/**
 * The dashboards as code, and the provisioning files generated from them. `buildDashboards()` is pure:
 * the same code gives byte-identical JSON, which is what lets a test fail on stale committed files.
 */

export interface GeneratedDashboard {
  uid: string;
  /** File name under provisioning/dashboards/. */
  file: string;
  dashboard: Dashboard;
}

const DEFINITIONS: ReadonlyArray<{ uid: string; file: string; build: () => { build(): Dashboard } }> = [
  { uid: UID.overview, file: 'overview.json', build: overviewDashboard },
  { uid: UID.outlet, file: 'outlet.json', build: outletDashboard },
  { uid: UID.alarms, file: 'alarms.json', build: alarmsDashboard },
  { uid: UID.heavyPollution, file: 'heavy-pollution.json', build: heavyPollutionDashboard },
  { uid: UID.dataQuality, file: 'data-quality.json', build: dataQualityDashboard },
];

/**
 * Panel ids: Grafana needs them unique within a dashboard (links like viewPanel, annotation filters,
 * repeats); the SDK leaves them unset, so number panels and rows in layout order.
 */
function numberPanels(dashboard: Dashboard): Dashboard {
  let next = 1;
  const visit = (panels: Array<Panel | RowPanel> | undefined) => {
    for (const p of panels ?? []) {
      p.id = next++;
      if (p.type === 'row') visit((p as RowPanel).panels);
    }
  };
  visit(dashboard.panels);
  return dashboard;
}

export function buildDashboards(): GeneratedDashboard[] {
  return DEFINITIONS.map(({ uid, file, build }) => {
    // Round-trip through JSON: drops the SDK's marker methods and undefined fields, exactly as written to disk.
    const dashboard = JSON.parse(JSON.stringify(numberPanels(build().build()))) as Dashboard;
    if (dashboard.uid !== uid) throw new Error(`dashboard ${file} has uid ${dashboard.uid}, expected ${uid}`);
    return { uid, file, dashboard };
  });
}

export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Every generated file, keyed by path relative to dashboards/provisioning/. */
export function provisioningFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('datasources/influxdb.yaml', datasourceProvisioningYaml());
  files.set('dashboards/dashboards.yaml', dashboardProviderYaml());
  for (const d of buildDashboards()) files.set(`dashboards/${d.file}`, dashboardJson(d.dashboard));
  return files;
}
