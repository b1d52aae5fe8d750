// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${var} here is Grafana/Compose/InfluxDB syntax, not a JS template
import {
  BarAlignment,
  GraphDrawStyle,
  GraphGradientMode,
  TableCellDisplayMode,
} from '@grafana/grafana-foundation-sdk/common';
import { type DashboardBuilder, FieldColorModeId } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  AQI_CATEGORY_MAPPINGS,
  AQI_THRESHOLDS,
  builtInAnnotation,
  folderDashboard,
  headers,
  hiddenQueryVariable,
  influxAnnotation,
  mappedColumn,
  plain,
  regionVariable,
  thresholds,
  UID,
  WARNING_LEVEL_MAPPINGS,
  WARNING_TRANSITION_MAPPINGS,
} from './common.js';
import { LOCAL_DAY, series, table, tagMatches } from './influxql.js';
import { warningStat } from './warning-stat.js';

/**
 * 重污染预警: the region's AQI with HJ 633 category colours, declared warning periods as regions on the
 * time axis, and each enterprise's record during the latest warning (exceedance hours, alarms).
 */

const REGION = tagMatches('region', 'region');
/** Regional means carry `region` and no `station` (docs/data-model.md); `= ''` selects series without the tag. */
const REGIONAL = `${REGION} AND "station" = ''`;

/**
 * Bounds of the latest warning (issued/changed/lifted within 30 days) as epoch ms, from hidden variables.
 * The leading 0 keeps the statement valid when there was no warning: the variable is then empty and the
 * bound becomes `0ms`, which selects nothing instead of failing to parse.
 */
const WARNING_WINDOW = 'time >= 0${warning_from}ms AND time <= 0${warning_to}ms';

const latestWarning = (field: string) =>
  `SELECT "${field}" FROM "warning_period" WHERE time > now() - 30d AND ${REGION} AND "transition" != 'proposed' ORDER BY time DESC LIMIT 1`;

export const heavyPollutionQueries = {
  warningFrom: latestWarning('start_ms'),
  warningTo: latestWarning('end_ms'),
  currentWarning: `SELECT "level", "transition", "doc_no" FROM "warning_period" WHERE time > now() - 30d AND ${REGION} AND "transition" != 'proposed' ORDER BY time DESC LIMIT 1`,
  aqiHourly: `SELECT mean("aqi") AS "AQI" FROM "aqi_hour" WHERE $timeFilter AND ${REGIONAL} GROUP BY time($__interval) fill(null)`,
  aqiDaily: `SELECT max("aqi") AS "日AQI" FROM "aqi_day" WHERE $timeFilter AND ${REGIONAL} GROUP BY ${LOCAL_DAY} fill(none)`,
  stations: `SELECT last("aqi") AS "AQI", last("category") AS "category", last("primary") AS "首要污染物" FROM "aqi_hour" WHERE $timeFilter AND ${REGION} AND "station" != '' GROUP BY "station"`,
  complianceExceedHours: `SELECT count("limit") AS "超标小时数" FROM "agg_hour" WHERE ${WARNING_WINDOW} AND ${REGION} AND "valid" = true AND (("medium" = 'gas' AND "zs_mean" > "limit") OR ("medium" = 'water' AND "mean" > "limit")) GROUP BY "enterprise_name"`,
  complianceValidHours: `SELECT count("mean") AS "有效小时均值数" FROM "agg_hour" WHERE ${WARNING_WINDOW} AND ${REGION} AND "valid" = true GROUP BY "enterprise_name"`,
  complianceAlarms: `SELECT count("alarm_id") AS "报警次数" FROM "alarm_event" WHERE ${WARNING_WINDOW} AND ${REGION} AND "transition" = 'open' GROUP BY "enterprise_name"`,
  warningLog: `SELECT "level", "transition", "warning_id", "start_ms", "end_ms", "authority", "doc_no", "text_zh" FROM "warning_period" WHERE $timeFilter AND ${REGION} ORDER BY time DESC LIMIT 200`,
  // Periods that began before the viewed range still overlap it: look back 30 days from its start.
  annotationPeriods: `SELECT "text_zh", "end_ms", "level", "doc_no" FROM "warning_period" WHERE time >= \${__from}ms - 30d AND time <= \${__to}ms AND ${REGION} AND "transition" =~ /^(issued|changed)$/`,
  annotationLifted: `SELECT "text_zh", "level" FROM "warning_period" WHERE $timeFilter AND ${REGION} AND "transition" = 'lifted'`,
} as const;

export function heavyPollutionDashboard(): DashboardBuilder {
  return folderDashboard({
    title: '重污染预警',
    uid: UID.heavyPollution,
    description: '区域空气质量指数（AQI）与类别、重污染天气预警时段、预警期间企业排放情况',
    tag: '重污染天气',
    from: 'now-7d',
    refresh: '5m',
  })
    .withVariable(regionVariable())
    .withVariable(hiddenQueryVariable('warning_from', '预警开始', heavyPollutionQueries.warningFrom))
    .withVariable(hiddenQueryVariable('warning_to', '预警结束', heavyPollutionQueries.warningTo))
    .annotation(builtInAnnotation())
    .annotation(
      influxAnnotation('预警时段', 'orange', heavyPollutionQueries.annotationPeriods, {
        text: 'text_zh',
        tags: 'level,doc_no',
        timeEnd: 'end_ms',
      }),
    )
    .annotation(
      influxAnnotation('预警解除', 'green', heavyPollutionQueries.annotationLifted, {
        text: 'text_zh',
        tags: 'level',
      }),
    )
    .withPanel(
      warningStat({
        title: '当前预警',
        description: '30 天内最近一次预警发布/调整/解除；"已解除"表示当前无预警',
        query: heavyPollutionQueries.currentWarning,
        columns: { level: '预警级别', transition: '状态', doc_no: '文号' },
      })
        .height(5)
        .span(8),
    )
    .withPanel(
      new TablePanel()
        .title('站点 AQI（最新）')
        .withTarget(table('A', heavyPollutionQueries.stations))
        .overrides([
          ...headers({ station: '站点', Time: '时间' }),
          {
            matcher: { id: 'byName', options: 'category' },
            properties: [
              { id: 'displayName', value: '类别' },
              { id: 'mappings', value: AQI_CATEGORY_MAPPINGS },
              { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorBackground } },
            ],
          },
          {
            matcher: { id: 'byName', options: 'AQI' },
            properties: [
              { id: 'thresholds', value: AQI_THRESHOLDS.build() },
              { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorText } },
            ],
          },
        ])
        .height(5)
        .span(16),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('区域 AQI（小时）')
        .description(
          '颜色为 HJ 633-2012 类别：优 绿，良 黄，轻度 橙，中度 红，重度 紫，严重 褐红；橙色区域为预警时段',
        )
        .withTarget(series('A', heavyPollutionQueries.aqiHourly))
        .thresholds(AQI_THRESHOLDS)
        .colorScheme(plain({ mode: FieldColorModeId.Thresholds }))
        .gradientMode(GraphGradientMode.Scheme)
        .fillOpacity(20)
        .lineWidth(2)
        .min(0)
        .height(9)
        .span(16),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('日 AQI')
        .description('按当地自然日（北京时间 0 时起）')
        .withTarget(series('A', heavyPollutionQueries.aqiDaily))
        .drawStyle(GraphDrawStyle.Bars)
        .barAlignment(BarAlignment.After)
        .fillOpacity(80)
        .thresholds(AQI_THRESHOLDS)
        .colorScheme(plain({ mode: FieldColorModeId.Thresholds }))
        .gradientMode(GraphGradientMode.Scheme)
        .min(0)
        .height(9)
        .span(8),
    )
    .withPanel(
      new TablePanel()
        .title('最近一次预警期间企业排放情况')
        .description(
          '本区域各企业在最近一次预警（发布至解除或计划结束）期间：有效小时均值数、超标小时数、报警次数',
        )
        .withTarget(table('A', heavyPollutionQueries.complianceValidHours))
        .withTarget(table('B', heavyPollutionQueries.complianceExceedHours))
        .withTarget(table('C', heavyPollutionQueries.complianceAlarms))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
        .withTransformation({ id: 'merge', options: {} })
        .overrides([
          ...headers({ enterprise_name: '企业' }),
          {
            matcher: { id: 'byRegexp', options: '^(超标小时数|报警次数)$' },
            properties: [
              {
                id: 'thresholds',
                value: thresholds([
                  { value: null, color: 'green' },
                  { value: 1, color: 'red' },
                ]).build(),
              },
              { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorBackground } },
            ],
          },
        ])
        .noValue('最近 30 天无预警')
        .height(8)
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('预警记录')
        .withTarget(table('A', heavyPollutionQueries.warningLog))
        .overrides([
          ...headers({
            level: '级别',
            transition: '变化',
            warning_id: '预警编号',
            start_ms: '开始',
            end_ms: '结束（计划/实际）',
            authority: '发布机关',
            doc_no: '文号',
            text_zh: '说明',
            Time: '时间',
          }),
          mappedColumn('level', WARNING_LEVEL_MAPPINGS, TableCellDisplayMode.ColorBackground),
          mappedColumn('transition', WARNING_TRANSITION_MAPPINGS),
          {
            matcher: { id: 'byRegexp', options: '^(start_ms|end_ms)$' },
            properties: [{ id: 'unit', value: 'dateTimeAsLocal' }],
          },
        ])
        .height(8)
        .span(12),
    );
}
