import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  TableCellDisplayMode,
  VisibilityMode,
} from '@grafana/grafana-foundation-sdk/common';
import { CustomVariableBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import {
  ALARM_STATE_MAPPINGS,
  ALARM_TRANSITION_MAPPINGS,
  builtInAnnotation,
  type common,
  displayName,
  enterpriseVariable,
  folderDashboard,
  headers,
  influxAnnotation,
  mappedColumn,
  OUTLET_DETAIL_URL,
  outletVariable,
  POLLUTANT_NAME_MAPPINGS,
  plain,
  RULE_MAPPINGS,
  SEVERITY_MAPPINGS,
  thresholds,
  UID,
} from './common.js';
import { SITE_FILTER, series, table, tagMatches } from './influxql.js';

/**
 * 超标报警: alarm episodes on a timeline (state per outlet × pollutant × rule), every transition as an
 * annotation, the full event log with values, limits and who acknowledged, and what still waits for an ack.
 */

/** `text : value` pairs: Grafana shows the Chinese text and puts the value into queries. */
export const SEVERITY_OPTIONS = [
  ['超标', 'exceedance'],
  ['预警', 'warning'],
  ['临近限值', 'early_warning'],
  ['提示', 'notice'],
  ['数据质量', 'quality'],
] as const;

const ALARM_FILTER = `${SITE_FILTER} AND ${tagMatches('severity', 'severity')}`;

export const alarmQueries = {
  countBySeverity: `SELECT count("alarm_id") AS "报警次数" FROM "alarm_event" WHERE $timeFilter AND ${ALARM_FILTER} AND "transition" = 'open' GROUP BY "severity"`,
  timeline: `SELECT last("state") AS "state" FROM "alarm_event" WHERE $timeFilter AND ${ALARM_FILTER} GROUP BY time($__interval), "outlet_name", "pollutant", "rule" fill(previous)`,
  events: `SELECT "enterprise_name", "outlet_name", "pollutant", "rule", "severity", "transition", "state", "value", "limit", "unit", "basis", "text_zh", "actor", "comment", "alarm_id" FROM "alarm_event" WHERE $timeFilter AND ${ALARM_FILTER} ORDER BY time DESC LIMIT 1000`,
  // Episodes whose latest transition leaves them active: nobody has acknowledged them yet.
  unacknowledged: `SELECT "state", "value", "limit", "text_zh", "window_start" FROM (SELECT last("state") AS "state", last("value") AS "value", last("limit") AS "limit", last("text_zh") AS "text_zh", last("window_start") AS "window_start" FROM "alarm_event" WHERE time > now() - 30d AND ${ALARM_FILTER} GROUP BY "enterprise_name", "outlet_name", "pollutant", "rule") WHERE "state" = 'active' GROUP BY "enterprise_name", "outlet_name", "pollutant", "rule"`,
  annotationOpen: `SELECT "text_zh", "outlet_name", "pollutant", "rule" FROM "alarm_event" WHERE $timeFilter AND ${ALARM_FILTER} AND "transition" =~ /^(open|escalate)$/`,
  annotationAck: `SELECT "text_zh", "actor", "comment", "outlet_name" FROM "alarm_event" WHERE $timeFilter AND ${ALARM_FILTER} AND "transition" = 'ack'`,
  annotationClear: `SELECT "text_zh", "outlet_name", "pollutant", "rule" FROM "alarm_event" WHERE $timeFilter AND ${ALARM_FILTER} AND "transition" = 'clear'`,
} as const;

const outletLink = plain({ title: '查看排口详情', url: OUTLET_DETAIL_URL, targetBlank: false });

const alarmColumns = headers({
  enterprise_name: '企业',
  outlet_name: '排口',
  pollutant: '污染物',
  rule: '规则',
  severity: '级别',
  transition: '变化',
  state: '状态',
  value: '监测值',
  limit: '限值',
  unit: '单位',
  basis: '判定依据',
  text_zh: '说明',
  actor: '操作人',
  comment: '批注',
  alarm_id: '报警编号',
  window_start: '时段开始',
  Time: '时间',
});

const alarmCellOverrides = [
  mappedColumn('state', ALARM_STATE_MAPPINGS, TableCellDisplayMode.ColorText),
  mappedColumn('transition', ALARM_TRANSITION_MAPPINGS, TableCellDisplayMode.ColorText),
  mappedColumn('rule', RULE_MAPPINGS),
  mappedColumn('severity', SEVERITY_MAPPINGS),
  mappedColumn('pollutant', POLLUTANT_NAME_MAPPINGS),
  {
    matcher: { id: 'byName', options: 'basis' },
    properties: [
      {
        id: 'mappings',
        value: [
          {
            type: 'value',
            options: { zs: { text: '折算值', index: 0 }, measured: { text: '实测值', index: 1 } },
          },
        ],
      },
    ],
  },
  {
    matcher: { id: 'byName', options: 'window_start' },
    properties: [{ id: 'unit', value: 'dateTimeAsLocal' }],
  },
  {
    matcher: { id: 'byName', options: 'outlet_name' },
    properties: [{ id: 'links', value: [outletLink.build()] }],
  },
];

export function alarmsDashboard(): DashboardBuilder {
  const severity = new CustomVariableBuilder('severity')
    .label('报警级别')
    .values(SEVERITY_OPTIONS.map(([text, value]) => `${text} : ${value}`).join(', '))
    .multi(true)
    .includeAll(true)
    .allowCustomValue(false)
    .current({ text: ['全部'], value: ['$__all'], selected: true });

  return folderDashboard({
    title: '超标报警',
    uid: UID.alarms,
    description: '报警经过（时间线与标注）、报警记录（状态、监测值、限值、确认）和待确认报警',
    tag: '报警',
    from: 'now-7d',
    refresh: '1m',
  })
    .withVariable(enterpriseVariable({ multi: true, allValue: '.*' }))
    .withVariable(outletVariable({ multi: true, allValue: '.*' }))
    .withVariable(severity)
    .annotation(builtInAnnotation())
    .annotation(
      influxAnnotation('报警', 'red', alarmQueries.annotationOpen, {
        text: 'text_zh',
        tags: 'outlet_name,pollutant,rule',
      }),
    )
    .annotation(
      influxAnnotation('确认', 'orange', alarmQueries.annotationAck, {
        text: 'comment',
        title: 'actor',
        tags: 'outlet_name',
      }),
    )
    .annotation(
      influxAnnotation('解除', 'green', alarmQueries.annotationClear, {
        text: 'text_zh',
        tags: 'outlet_name,pollutant,rule',
      }),
    )
    .withPanel(
      new StatPanel()
        .title('报警次数（按级别）')
        .withTarget(series('A', alarmQueries.countBySeverity, '$tag_severity'))
        .colorMode(BigValueColorMode.Value)
        .graphMode(BigValueGraphMode.None)
        .textMode(BigValueTextMode.ValueAndName)
        .reduceOptions(plain<common.ReduceDataOptions>({ calcs: ['sum'], fields: '', values: false }))
        .thresholds(thresholds([{ value: null, color: 'red' }]))
        .noValue('0')
        .overrideByName('exceedance', displayName('超标'))
        .overrideByName('warning', displayName('预警'))
        .overrideByName('early_warning', displayName('临近限值'))
        .overrideByName('notice', displayName('提示'))
        .overrideByName('quality', displayName('数据质量'))
        .height(4)
        .span(24),
    )
    .withPanel(
      new StateTimelinePanel()
        .title('报警时间线')
        .description('每个报警（排口 · 污染物 · 规则）的状态：红色报警中，橙色已确认，绿色已解除')
        .withTarget(series('A', alarmQueries.timeline, '$tag_outlet_name · $tag_pollutant · $tag_rule'))
        .mappings(ALARM_STATE_MAPPINGS)
        .showValue(VisibilityMode.Never)
        .mergeValues(true)
        .height(9)
        .span(24),
    )
    .withPanel(
      new TablePanel()
        .title('待确认报警')
        .description('30 天内打开、状态仍为"报警中"（未确认）的报警')
        .withTarget(table('A', alarmQueries.unacknowledged))
        .overrides([...alarmColumns, ...alarmCellOverrides])
        .height(7)
        .span(24),
    )
    .withPanel(
      new TablePanel()
        .title('报警记录')
        .description('所选时段内的全部报警变化（报警、升级、确认、批注、解除、更正），最新在前')
        .withTarget(table('A', alarmQueries.events))
        .overrides([...alarmColumns, ...alarmCellOverrides])
        .filterable(true)
        .height(12)
        .span(24),
    );
}
