import {
  BarAlignment,
  GraphDrawStyle,
  TableCellDisplayMode,
  VisibilityMode,
} from '@grafana/grafana-foundation-sdk/common';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  AUXILIARY_CODES,
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
  RATE_THRESHOLDS,
  RULE_MAPPINGS,
  UID,
} from './common.js';
import { LOCAL_DAY, SITE_FILTER, series, table } from './influxql.js';

/**
 * 数据质量: how complete each enterprise's data is (transmission, validity and effective rates per outlet
 * and local day, as the engine computes them, plus the platform's own counts from the stored real-time
 * data), when gateways were offline, and the anomaly (anti-fraud) signals.
 */

const NOT_AUXILIARY = `"pollutant" !~ /^(${AUXILIARY_CODES.join('|')})$/`;

export const dataQualityQueries = {
  ratesByDay: `SELECT mean("transmission_rate") AS "传输率", mean("validity_rate") AS "有效率", mean("effective_rate") AS "传输有效率", sum("expected") AS "应传条数", sum("received") AS "实传条数", sum("valid") AS "有效条数" FROM "transmission_day" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY ${LOCAL_DAY}, "enterprise_name", "outlet_name" fill(none)`,
  effectiveTrend: `SELECT mean("effective_rate") AS "传输有效率" FROM "transmission_day" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY ${LOCAL_DAY}, "outlet_name" fill(none)`,
  receivedByDay: `SELECT count("value") AS "接收条数" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} AND ${NOT_AUXILIARY} GROUP BY ${LOCAL_DAY}, "enterprise_name", "outlet_name", "pollutant" fill(none)`,
  validByDay: `SELECT count("value") AS "有效条数" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} AND ${NOT_AUXILIARY} AND "flag" = 'N' GROUP BY ${LOCAL_DAY}, "enterprise_name", "outlet_name", "pollutant" fill(none)`,
  // Minutes with any real-time data per hour: the inner query collapses a reading's codes into one row.
  minutesPerHour: `SELECT count("n") AS "有数据分钟数" FROM (SELECT count("value") AS "n" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY time(1m), "outlet_name" fill(none)) WHERE $timeFilter GROUP BY time(1h), "outlet_name" fill(0)`,
  online: `SELECT last("state") AS "state" FROM "device_state" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY time($__interval), "outlet_name" fill(previous)`,
  offlineLog: `SELECT "enterprise_name", "outlet_name", "mn", "state", "transport" FROM "device_state" WHERE $timeFilter AND ${SITE_FILTER} AND "online" = false ORDER BY time DESC LIMIT 500`,
  signalCounts: `SELECT count("text_zh") AS "次数" FROM "quality_signal" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY "signal"`,
  signals: `SELECT "enterprise_name", "outlet_name", "pollutant", "signal", "value", "text_zh", "alarm_id" FROM "quality_signal" WHERE $timeFilter AND ${SITE_FILTER} ORDER BY time DESC LIMIT 500`,
} as const;

const outletLink = plain({ title: '查看排口详情', url: OUTLET_DETAIL_URL, targetBlank: false });

const rateColumn = (name: string) => ({
  matcher: { id: 'byName', options: name },
  properties: [
    { id: 'unit', value: 'percentunit' },
    { id: 'decimals', value: 1 },
    { id: 'thresholds', value: RATE_THRESHOLDS.build() },
    { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorBackground } },
  ],
});

export function dataQualityDashboard(): DashboardBuilder {
  return folderDashboard({
    title: '数据质量',
    uid: UID.dataQuality,
    description: '各排口按日的传输率、有效率、传输有效率，数据缺失与离线时段，异常（疑似造假）信号',
    tag: '数据质量',
    from: 'now-7d',
    refresh: '5m',
  })
    .withVariable(enterpriseVariable({ multi: true, allValue: '.*' }))
    .withVariable(outletVariable({ multi: true, allValue: '.*' }))
    .annotation(builtInAnnotation())
    .withPanel(
      new TablePanel()
        .title('传输率与有效率（按日）')
        .description('传输有效率 = 传输率 × 有效率；低于 90% 橙色，低于 75% 红色（按当地自然日统计）')
        .withTarget(table('A', dataQualityQueries.ratesByDay))
        .overrides([
          ...headers({ Time: '日期', enterprise_name: '企业', outlet_name: '排口' }),
          {
            matcher: { id: 'byName', options: 'Time' },
            properties: [{ id: 'unit', value: 'time: YYYY-MM-DD' }],
          },
          rateColumn('传输率'),
          rateColumn('有效率'),
          rateColumn('传输有效率'),
          {
            matcher: { id: 'byName', options: 'outlet_name' },
            properties: [{ id: 'links', value: [outletLink.build()] }],
          },
        ])
        .sortBy([plain<common.TableSortByFieldState>({ displayName: '传输有效率', desc: false })])
        .filterable(true)
        .height(10)
        .span(14),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('传输有效率趋势')
        .withTarget(series('A', dataQualityQueries.effectiveTrend, '$tag_outlet_name'))
        .drawStyle(GraphDrawStyle.Bars)
        .barAlignment(BarAlignment.After)
        .fillOpacity(60)
        .unit('percentunit')
        .min(0)
        .max(1)
        .thresholds(RATE_THRESHOLDS)
        .height(10)
        .span(10),
    )
    .withPanel(
      new TablePanel()
        .title('实时数据接收与有效条数（平台统计，按日）')
        .description('按污染物统计入库的实时数据条数和 N 标记（有效）条数；每分钟一条时满日为 1440 条')
        .withTarget(table('A', dataQualityQueries.receivedByDay))
        .withTarget(table('B', dataQualityQueries.validByDay))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'calculateField',
          options: {
            alias: '有效比例',
            mode: 'binary',
            binary: { left: '有效条数', operator: '/', right: '接收条数' },
          },
        })
        .overrides([
          ...headers({ Time: '日期', enterprise_name: '企业', outlet_name: '排口', pollutant: '污染物' }),
          {
            matcher: { id: 'byName', options: 'Time' },
            properties: [{ id: 'unit', value: 'time: YYYY-MM-DD' }],
          },
          mappedColumn('pollutant', POLLUTANT_NAME_MAPPINGS),
          rateColumn('有效比例'),
        ])
        .filterable(true)
        .height(10)
        .span(12),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('每小时有数据的分钟数')
        .description('低于 60 即该小时有数据缺失')
        .withTarget(series('A', dataQualityQueries.minutesPerHour, '$tag_outlet_name'))
        .drawStyle(GraphDrawStyle.Bars)
        .barAlignment(BarAlignment.After)
        .fillOpacity(50)
        .min(0)
        .max(60)
        .height(10)
        .span(12),
    )
    .withPanel(
      new StateTimelinePanel()
        .title('数采仪在线状态')
        .withTarget(series('A', dataQualityQueries.online, '$tag_outlet_name'))
        .mappings(ONLINE_MAPPINGS)
        .showValue(VisibilityMode.Never)
        .mergeValues(true)
        .height(8)
        .span(14),
    )
    .withPanel(
      new TablePanel()
        .title('离线记录')
        .withTarget(table('A', dataQualityQueries.offlineLog))
        .mappings(ONLINE_MAPPINGS)
        .overrides(
          headers({
            Time: '离线时间',
            enterprise_name: '企业',
            outlet_name: '排口',
            mn: '数采仪MN',
            state: '状态',
            transport: '接入方式',
          }),
        )
        .height(8)
        .span(10),
    )
    .withPanel(
      new TablePanel()
        .title('异常信号次数')
        .withTarget(table('A', dataQualityQueries.signalCounts))
        .overrides([
          ...headers({ signal: '信号' }),
          mappedColumn('signal', RULE_MAPPINGS),
          { matcher: { id: 'byName', options: 'Time' }, properties: [{ id: 'custom.hidden', value: true }] },
        ])
        .height(8)
        .span(6),
    )
    .withPanel(
      new TablePanel()
        .title('异常信号记录')
        .description('恒值、负值、零值、超量程、数据缺失、离线、流量为零但有浓度、含氧量接近空气等')
        .withTarget(table('A', dataQualityQueries.signals))
        .overrides([
          ...headers({
            Time: '时间',
            enterprise_name: '企业',
            outlet_name: '排口',
            pollutant: '污染物',
            signal: '信号',
            value: '监测值',
            text_zh: '说明',
            alarm_id: '报警编号',
          }),
          mappedColumn('signal', RULE_MAPPINGS),
          mappedColumn('pollutant', POLLUTANT_NAME_MAPPINGS),
        ])
        .filterable(true)
        .height(8)
        .span(18),
    );
}
