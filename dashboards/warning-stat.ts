import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import {
  type common,
  headers,
  plain,
  WARNING_LEVEL_MAPPINGS,
  WARNING_TRANSITION_MAPPINGS,
} from './common.js';
import { table } from './influxql.js';

/**
 * The latest heavy-pollution warning as coloured values (level, state, and any further columns such as
 * the document number), shown on 总览 and 重污染预警. `columns` maps each shown column to its Chinese header.
 */
export function warningStat(opts: {
  title: string;
  description: string;
  query: string;
  columns: Record<string, string>;
}): StatPanel {
  return new StatPanel()
    .title(opts.title)
    .description(opts.description)
    .withTarget(table('A', opts.query))
    .mappings([...WARNING_LEVEL_MAPPINGS, ...WARNING_TRANSITION_MAPPINGS])
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .textMode(BigValueTextMode.ValueAndName)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(
      plain<common.ReduceDataOptions>({
        calcs: ['lastNotNull'],
        fields: `/^(${Object.keys(opts.columns).join('|')})$/`,
        values: true,
      }),
    )
    .noValue('无预警')
    .overrides(headers(opts.columns));
}
