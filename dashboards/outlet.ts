import {
  BarAlignment,
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  LineInterpolation,
  SortOrder,
  TooltipDisplayMode,
  VisibilityMode,
} from '@grafana/grafana-foundation-sdk/common';
import { type DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  builtInAnnotation,
  type common,
  displayName,
  enterpriseVariable,
  FLAG_MAPPINGS,
  folderDashboard,
  influxAnnotation,
  ONLINE_MAPPINGS,
  outletVariable,
  plain,
  pollutantVariable,
  UID,
} from './common.js';
import { POLLUTANT_FILTER, SITE_FILTER, series } from './influxql.js';

/**
 * 排口详情: one outlet. Per pollutant (a repeated row): the real-time trend with the limit line and
 * non-N data shaded, the hourly 折算 means against the limit, the data-flag timeline; O2, flow and the
 * gateway's online state beside; alarm transitions as annotations ("what happened around an alarm").
 */

export const outletQueries = {
  trendValid: `SELECT mean("value") AS "实测浓度", mean("zs") AS "折算浓度" FROM "emission_rtd" WHERE $timeFilter AND ${POLLUTANT_FILTER} AND "flag" = 'N' GROUP BY time($__interval) fill(null)`,
  trendInvalid: `SELECT mean("value") AS "非正常标记数据" FROM "emission_rtd" WHERE $timeFilter AND ${POLLUTANT_FILTER} AND "flag" != 'N' GROUP BY time($__interval) fill(null)`,
  // The limit in force, carried forward between hourly aggregates so it draws as a continuous line.
  trendLimit: `SELECT last("limit") AS "小时限值" FROM "agg_hour" WHERE $timeFilter AND ${POLLUTANT_FILTER} GROUP BY time($__interval) fill(previous)`,
  hourly: `SELECT "zs_mean" AS "折算小时均值", "mean" AS "实测小时均值", "limit" AS "限值" FROM "agg_hour" WHERE $timeFilter AND ${POLLUTANT_FILTER} GROUP BY "origin"`,
  flags: `SELECT last("flag") AS "数据标记" FROM "emission_rtd" WHERE $timeFilter AND ${POLLUTANT_FILTER} GROUP BY time($__interval) fill(null)`,
  oxygen: `SELECT mean("value") AS "含氧量" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} AND "pollutant" = 'a19001' GROUP BY time($__interval) fill(null)`,
  gasFlow: `SELECT mean("value") AS "烟气流量" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} AND "pollutant" = 'a00000' GROUP BY time($__interval) fill(null)`,
  waterFlow: `SELECT mean("value") AS "污水流量" FROM "emission_rtd" WHERE $timeFilter AND ${SITE_FILTER} AND "pollutant" = 'w00000' GROUP BY time($__interval) fill(null)`,
  // Carried forward: the gateway stays in a state until its next transition.
  online: `SELECT last("state") AS "在线状态" FROM "device_state" WHERE $timeFilter AND ${SITE_FILTER} GROUP BY time($__interval) fill(previous)`,
  alarmAnnotations: `SELECT "text_zh", "rule", "state", "pollutant" FROM "alarm_event" WHERE $timeFilter AND ${SITE_FILTER} AND "transition" =~ /^(open|escalate|clear)$/`,
} as const;

const legend = plain<common.VizLegendOptions>({
  displayMode: LegendDisplayMode.List,
  placement: LegendPlacement.Bottom,
  showLegend: true,
  calcs: [],
});
const tooltip = plain<common.VizTooltipOptions>({ mode: TooltipDisplayMode.Multi, sort: SortOrder.None });

const limitLine = [
  { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'custom.fillOpacity', value: 0 },
  { id: 'custom.drawStyle', value: 'line' },
  { id: 'custom.lineInterpolation', value: 'stepAfter' },
];

function trendPanel(): TimeseriesPanel {
  return new TimeseriesPanel()
    .title('$pollutant 实时浓度与限值')
    .description('有效（N 标记）实时数据的实测与折算浓度；灰色柱为非 N 标记时段的数据；红色虚线为小时限值')
    .withTarget(series('A', outletQueries.trendValid))
    .withTarget(series('B', outletQueries.trendInvalid))
    .withTarget(series('C', outletQueries.trendLimit))
    .legend(legend)
    .tooltip(tooltip)
    .lineWidth(1)
    .lineInterpolation(LineInterpolation.Linear)
    .spanNulls(false)
    .overrideByName('非正常标记数据', [
      { id: 'color', value: { mode: 'fixed', fixedColor: 'rgba(128, 128, 128, 0.6)' } },
      { id: 'custom.drawStyle', value: GraphDrawStyle.Bars },
      { id: 'custom.fillOpacity', value: 40 },
      { id: 'custom.barAlignment', value: BarAlignment.Center },
    ])
    .overrideByName('小时限值', limitLine)
    .height(8)
    .span(12);
}

function hourlyPanel(): TimeseriesPanel {
  return new TimeseriesPanel()
    .title('$pollutant 小时均值与限值')
    .description('平台按有效分钟计算的小时均值（废气为折算均值，判定超标的依据）与限值')
    .withTarget(series('A', outletQueries.hourly, '$col'))
    .drawStyle(GraphDrawStyle.Bars)
    .fillOpacity(70)
    .barAlignment(BarAlignment.After)
    .legend(legend)
    .tooltip(tooltip)
    .overrideByName('限值', limitLine)
    .overrideByName('实测小时均值', [
      { id: 'custom.hideFrom', value: { legend: false, tooltip: false, viz: true } },
    ])
    .height(8)
    .span(12);
}

function flagPanel(): StateTimelinePanel {
  return new StateTimelinePanel()
    .title('$pollutant 数据标记')
    .description(
      'HJ 212 数据标记：N 正常，F 停运，M 维护，S 手工输入，D 故障，C 校准，T 超测定上限，B 通讯异常',
    )
    .withTarget(series('A', outletQueries.flags))
    .mappings(FLAG_MAPPINGS)
    .showValue(VisibilityMode.Never)
    .mergeValues(true)
    .rowHeight(0.8)
    .height(4)
    .span(24);
}

export function outletDashboard(): DashboardBuilder {
  return folderDashboard({
    title: '排口详情',
    uid: UID.outlet,
    description: '单个排口：各污染物实时趋势与限值、小时折算均值、数据标记、含氧量与流量、报警前后经过',
    tag: '排口',
    from: 'now-24h',
    refresh: '1m',
  })
    .withVariable(enterpriseVariable({ multi: false }))
    .withVariable(outletVariable({ multi: false }))
    .withVariable(pollutantVariable({ multi: true }))
    .annotation(builtInAnnotation())
    .annotation(
      influxAnnotation('报警', 'red', outletQueries.alarmAnnotations, {
        text: 'text_zh',
        tags: 'rule,state,pollutant',
      }),
    )
    .withRow(new RowBuilder('工况与在线状态'))
    .withPanel(
      new TimeseriesPanel()
        .title('含氧量 O₂')
        .withTarget(series('A', outletQueries.oxygen))
        .unit('percent')
        .legend(legend)
        .height(6)
        .span(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('流量')
        .description('废气：烟气流量（m³/s）；废水：污水流量（L/s）')
        .withTarget(series('A', outletQueries.gasFlow))
        .withTarget(series('B', outletQueries.waterFlow))
        .overrideByName('烟气流量', [{ id: 'unit', value: 'm³/s' }])
        .overrideByName('污水流量', [{ id: 'unit', value: 'L/s' }])
        .legend(legend)
        .height(6)
        .span(8),
    )
    .withPanel(
      new StateTimelinePanel()
        .title('数采仪在线状态')
        .withTarget(series('A', outletQueries.online))
        .mappings(ONLINE_MAPPINGS)
        .showValue(VisibilityMode.Never)
        .overrideByName('在线状态', displayName('在线状态'))
        .height(6)
        .span(8),
    )
    .withRow(new RowBuilder('污染物 $pollutant').repeat('pollutant'))
    .withPanel(trendPanel())
    .withPanel(hourlyPanel())
    .withPanel(flagPanel());
}
