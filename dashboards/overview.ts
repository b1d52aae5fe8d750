import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  TableCellDisplayMode,
} from '@grafana/grafana-foundation-sdk/common';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import {
  ALARM_STATE_MAPPINGS,
  builtInAnnotation,
  type common,
  enterpriseVariable,
  folderDashboard,
  headers,
  mappedColumn,
  ONLINE_MAPPINGS,
  OUTLET_DETAIL_URL,
  outletVariable,
  POLLUTANT_NAME_MAPPINGS,
  plain,
  RULE_MAPPINGS,
  SHARE_THRESHOLDS,
  thresholds,
  UID,
} from './common.js';
import { SITE_FILTER, table } from './influxql.js';
import { warningStat } from './warning-stat.js';

/**
 * 总览: which outlet is online, which is over (or near) its limit now, which alarms are open, and
 * whether a heavy-pollution warning is on. Rows drill down to 排口详情.
 */

/** Open alarms may predate the viewed range; 30 days bounds the scan (older open episodes get escalated). */
const OPEN_ALARM_WINDOW = 'time > now() - 30d';

const outletLink = plain({ title: '查看排口详情', url: OUTLET_DETAIL_URL, targetBlank: false });

export const overviewQueries = {
  onlineCount: `SELECT count("online") AS "在线排口" FROM (SELECT last("online") AS "online" FROM "device_state" WHERE ${SITE_FILTER} GROUP BY "enterprise_name", "outlet_name") WHERE "online" = true`,
  offlineCount: `SELECT count("online") AS "离线排口" FROM (SELECT last("online") AS "online" FROM "device_state" WHERE ${SITE_FILTER} GROUP BY "enterprise_name", "outlet_name") WHERE "online" = false`,
  openAlarmCount: `SELECT count("state") AS "未解除报警" FROM (SELECT last("state") AS "state" FROM "alarm_event" WHERE ${OPEN_ALARM_WINDOW} AND ${SITE_FILTER} GROUP BY "enterprise_name", "outlet_name", "pollutant", "rule") WHERE "state" != 'cleared'`,
  warning: `SELECT "level", "transition", "text_zh" FROM "warning_period" WHERE time > now() - 30d AND "transition" != 'proposed' GROUP BY "region" ORDER BY time DESC LIMIT 1`,
  // A device keeps its state until the next transition, so the latest one counts however old it is.
  deviceState: `SELECT last("state") AS "state", last("transport") AS "transport" FROM "device_state" WHERE ${SITE_FILTER} GROUP BY "enterprise_name", "outlet_name", "mn"`,
  latestValue: `SELECT last("value") AS "最新实时值" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY "enterprise_name", "outlet_name", "pollutant"`,
  // Share of the limit on the regulatory basis (docs/data-model.md agg_hour): flue gas judges the hourly
  // 折算 mean, wastewater the measured mean. Computed by InfluxDB, so it needs no ZsRtd from gateways.
  hourlyShareGas: `SELECT last("zs_mean") AS "小时均值", last("limit") AS "限值", last("zs_mean") / last("limit") AS "占标率" FROM "agg_hour" WHERE $timeFilter AND ${SITE_FILTER} AND "medium" = 'gas' AND "limit" > 0 GROUP BY "enterprise_name", "outlet_name", "pollutant"`,
  hourlyShareWater: `SELECT last("mean") AS "小时均值", last("limit") AS "限值", last("mean") / last("limit") AS "占标率" FROM "agg_hour" WHERE $timeFilter AND ${SITE_FILTER} AND "medium" = 'water' AND "limit" > 0 GROUP BY "enterprise_name", "outlet_name", "pollutant"`,
  // Not grouped by severity: an episode keeps its alarm id while its severity rises (early_warning →
  // exceedance, docs/data-model.md), so grouping by it would leave a stale "open" early-warning row.
  openAlarms: `SELECT "state", "value", "limit", "unit", "text_zh", "window_start" FROM (SELECT last("state") AS "state", last("value") AS "value", last("limit") AS "limit", last("unit") AS "unit", last("text_zh") AS "text_zh", last("window_start") AS "window_start" FROM "alarm_event" WHERE ${OPEN_ALARM_WINDOW} AND ${SITE_FILTER} GROUP BY "enterprise_name", "outlet_name", "pollutant", "rule") WHERE "state" != 'cleared' GROUP BY "enterprise_name", "outlet_name", "pollutant", "rule"`,
} as const;

function stat(title: string, refId: string, query: string, color: string): StatPanel {
  return new StatPanel()
    .title(title)
    .withTarget(table(refId, query))
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .textMode(BigValueTextMode.Value)
    .noValue('0')
    .thresholds(thresholds([{ value: null, color }]))
    .height(4)
    .span(4);
}

export function overviewDashboard(): DashboardBuilder {
  return folderDashboard({
    title: '总览',
    uid: UID.overview,
    description: '每个排口的在线状态、最新监测值（按限值占比着色）、未解除报警和重污染预警状态',
    tag: '总览',
    from: 'now-6h',
    refresh: '1m',
  })
    .withVariable(enterpriseVariable({ multi: true, allValue: '.*' }))
    .withVariable(outletVariable({ multi: true, allValue: '.*' }))
    .annotation(builtInAnnotation())
    .withPanel(stat('在线排口', 'A', overviewQueries.onlineCount, 'green'))
    .withPanel(stat('离线排口', 'A', overviewQueries.offlineCount, 'red'))
    .withPanel(stat('未解除报警', 'A', overviewQueries.openAlarmCount, 'red'))
    .withPanel(
      warningStat({
        title: '重污染天气预警',
        description: '各区域最近一次预警发布/调整/解除（30 天内）；已解除表示当前无预警',
        query: overviewQueries.warning,
        columns: { level: '预警级别', transition: '状态' },
      })
        .height(4)
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('排口在线状态')
        .description('数采仪最近一次上线/离线；点击排口名称查看排口详情')
        .withTarget(table('A', overviewQueries.deviceState))
        .mappings(ONLINE_MAPPINGS)
        .overrides([
          ...headers({
            enterprise_name: '企业',
            outlet_name: '排口',
            mn: '数采仪MN',
            state: '状态',
            transport: '接入方式',
            Time: '时间',
          }),
          {
            matcher: { id: 'byName', options: 'state' },
            properties: [{ id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorBackground } }],
          },
          {
            matcher: { id: 'byName', options: 'outlet_name' },
            properties: [{ id: 'links', value: [outletLink.build()] }],
          },
        ])
        .height(10)
        .span(8),
    )
    .withPanel(
      new TablePanel()
        .title('最新监测值（按限值占比着色）')
        .description(
          '最新实时值与最近一小时均值（废气为折算均值，废水为实测均值）及其占限值的比例：≥ 80% 橙色，≥ 100% 红色。实时占标率为最新实时值 ÷ 小时限值，仅作提示',
        )
        .withTarget(table('A', overviewQueries.latestValue))
        .withTarget(table('B', overviewQueries.hourlyShareGas))
        .withTarget(table('C', overviewQueries.hourlyShareWater))
        // Each last() has its own time: drop Time, then merge rows that share the tag columns.
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'calculateField',
          options: {
            alias: '实时占标率',
            mode: 'binary',
            binary: { left: '最新实时值', operator: '/', right: '限值' },
            replaceFields: false,
          },
        })
        .mappings(POLLUTANT_NAME_MAPPINGS)
        .overrides([
          ...headers({ enterprise_name: '企业', outlet_name: '排口', pollutant: '污染物' }),
          {
            matcher: { id: 'byRegexp', options: '^(占标率|实时占标率)$' },
            properties: [
              { id: 'unit', value: 'percentunit' },
              { id: 'decimals', value: 0 },
              { id: 'thresholds', value: SHARE_THRESHOLDS.build() },
              { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorBackground } },
            ],
          },
          {
            matcher: { id: 'byName', options: 'outlet_name' },
            properties: [{ id: 'links', value: [outletLink.build()] }],
          },
        ])
        .sortBy([plain<common.TableSortByFieldState>({ displayName: '占标率', desc: true })])
        .height(10)
        .span(16),
    )
    .withPanel(
      new TablePanel()
        .title('未解除报警')
        .description('30 天内打开且尚未解除的报警（按排口、污染物、规则）')
        .withTarget(table('A', overviewQueries.openAlarms))
        .overrides([
          ...headers({
            enterprise_name: '企业',
            outlet_name: '排口',
            pollutant: '污染物',
            rule: '规则',
            state: '状态',
            value: '监测值',
            limit: '限值',
            unit: '单位',
            text_zh: '说明',
            window_start: '时段开始',
            Time: '时间',
          }),
          mappedColumn('state', ALARM_STATE_MAPPINGS, TableCellDisplayMode.ColorBackground),
          mappedColumn('rule', RULE_MAPPINGS),
          mappedColumn('pollutant', POLLUTANT_NAME_MAPPINGS),
          {
            matcher: { id: 'byName', options: 'window_start' },
            properties: [{ id: 'unit', value: 'dateTimeAsLocal' }],
          },
          {
            matcher: { id: 'byName', options: 'outlet_name' },
            properties: [{ id: 'links', value: [outletLink.build()] }],
          },
        ])
        .height(9)
        .span(24),
    );
}
