import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { DATASOURCE } from './datasource.js';

/**
 * InfluxQL query models for Grafana's InfluxDB datasource in InfluxQL mode. The foundation SDK ships no
 * InfluxDB query types, so these builders produce the raw-query model Grafana's own query editor saves
 * (`rawQuery: true` + `query`), and the annotation target in the shape Grafana's InfluxDB annotation
 * migration produces (so Grafana has nothing left to migrate).
 *
 * Raw InfluxQL rather than the visual query builder: the dashboards need subqueries, arithmetic between
 * aggregates and `GROUP BY time(1d, -8h)`, and a raw statement is what the integration test can take
 * from the JSON and run against a real InfluxDB unchanged (after Grafana's macro expansion).
 */

export type ResultFormat = 'time_series' | 'table';

export interface InfluxQLTarget {
  refId: string;
  datasource: { type?: string; uid?: string };
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  /** Series name pattern: `$tag_<key>`, `$col`, `$m`; only used with time_series. */
  alias?: string;
}

export interface InfluxQLAnnotationTarget {
  refId: string;
  query: string;
  queryType: 'tags';
  fromAnnotations: true;
  rawQuery: true;
  textColumn: string;
  titleColumn: string;
  tagsColumn: string;
  timeEndColumn: string;
}

/** cog.Dataquery is a marker interface; the method is dropped by JSON.stringify. */
function asDataquery<T extends object>(model: T): T & cog.Dataquery {
  return { ...model, _implementsDataqueryVariant() {} };
}

export class InfluxQLQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly model: InfluxQLTarget;

  constructor(refId: string, query: string) {
    this.model = { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat: 'time_series' };
  }

  table(): this {
    this.model.resultFormat = 'table';
    return this;
  }

  alias(alias: string): this {
    this.model.alias = alias;
    return this;
  }

  build(): cog.Dataquery {
    return asDataquery({ ...this.model });
  }
}

/** A time-series target. */
export function series(refId: string, query: string, alias?: string): InfluxQLQueryBuilder {
  const b = new InfluxQLQueryBuilder(refId, query);
  return alias === undefined ? b : b.alias(alias);
}

/** A table target (tag columns become table columns). */
export function table(refId: string, query: string): InfluxQLQueryBuilder {
  return new InfluxQLQueryBuilder(refId, query).table();
}

export interface AnnotationColumns {
  text?: string;
  title?: string;
  /** Comma-separated columns whose values become annotation tags. */
  tags?: string;
  /** Column holding the region's end (epoch ms): makes the annotation a region. */
  timeEnd?: string;
}

export class InfluxQLAnnotationTargetBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly query: string,
    private readonly columns: AnnotationColumns,
  ) {}

  build(): cog.Dataquery {
    const target: InfluxQLAnnotationTarget = {
      refId: 'Anno',
      query: this.query,
      queryType: 'tags',
      fromAnnotations: true,
      rawQuery: true,
      textColumn: this.columns.text ?? '',
      titleColumn: this.columns.title ?? '',
      tagsColumn: this.columns.tags ?? '',
      timeEndColumn: this.columns.timeEnd ?? '',
    };
    return asDataquery(target);
  }
}

// ---------------------------------------------------------------------------------------------------
// WHERE fragments for the chained template variables (enterprise → outlet → pollutant).

/**
 * `"tag" =~ /^${var:regex}$/`: the explicit `regex` format makes Grafana regex-escape each value and
 * wrap a multi-value selection as `(a|b)`, so the anchors apply to every alternative (the InfluxDB
 * datasource's default multi-value format is a bare `a|b`, which `^…$` would only half anchor).
 */
export function tagMatches(tag: string, variable: string): string {
  return `"${tag}" =~ /^\${${variable}:regex}$/`;
}

/** Enterprise and outlet filters (Chinese-name tags: the variables show what staff call them). */
export const SITE_FILTER = `${tagMatches('enterprise_name', 'enterprise')} AND ${tagMatches('outlet_name', 'outlet')}`;

/** Site filter plus the pollutant variable. */
export const POLLUTANT_FILTER = `${SITE_FILTER} AND ${tagMatches('pollutant', 'pollutant')}`;

/** Local-day buckets (Asia/Shanghai = UTC+8, no DST): portable, unlike tz() (DESIGN.md §4). */
export const LOCAL_DAY = 'time(1d, -8h)';
