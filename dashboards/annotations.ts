import { UID } from './common.js';
import type { AnnotationSpec, GrafanaClient } from './grafana-client.js';

/**
 * Grafana annotations for alarm and heavy-pollution-warning transitions, for the alerting engine to call
 * when a Grafana URL and token are configured. An alarm episode becomes one annotation on the 超标报警
 * dashboard: posted at `open`, its text updated on `ack`/`escalate`/`comment`/`correct`, and turned into
 * a region ending at the `clear`. A warning period is a region on the 重污染预警 dashboard from its start
 * to its (planned, then actual) end.
 *
 * Annotation ids are remembered per alarm/warning id in a bounded map (ANNOTATION_ID_CACHE, oldest entry
 * evicted first): after a restart or an eviction a later transition posts a new annotation instead of
 * updating, which loses nothing but the joining of the two. Failures go to `onError` and never reach the
 * caller: an unreachable Grafana must not hold up alarm handling.
 */

export type AlarmTransitionKind = 'open' | 'escalate' | 'ack' | 'comment' | 'clear' | 'correct';
export type WarningTransitionKind = 'issued' | 'changed' | 'lifted' | 'proposed';

export interface AlarmTransition {
  alarmId: string;
  transition: AlarmTransitionKind;
  /** Epoch ms of the transition. */
  timeMs: number;
  enterpriseName: string;
  outletName: string;
  pollutant: string;
  rule: string;
  severity: string;
  /** Chinese message, e.g. "1号机组烟囱 二氧化硫 小时折算均值 80.2 mg/m³ 超过限值 35 mg/m³". */
  textZh: string;
  actor?: string;
}

export interface WarningTransition {
  warningId: string;
  transition: WarningTransitionKind;
  region: string;
  level: 'yellow' | 'orange' | 'red';
  startMs: number;
  /** Planned end (issued/changed) or actual end (lifted). */
  endMs: number;
  textZh: string;
}

export interface GrafanaAnnotator {
  alarm(t: AlarmTransition): Promise<void>;
  warning(t: WarningTransition): Promise<void>;
}

export interface AnnotatorOptions {
  alarmsDashboardUid?: string;
  warningDashboardUid?: string;
  /** Bound of the alarm/warning id → annotation map. Default 10 000. */
  maxRemembered?: number;
  onError?: (err: unknown, context: { kind: 'alarm' | 'warning'; id: string; transition: string }) => void;
}

export const ANNOTATION_ID_CACHE = 'grafana-annotation-ids';

const TRANSITION_ZH: Record<AlarmTransitionKind, string> = {
  open: '报警',
  escalate: '升级',
  ack: '确认',
  comment: '批注',
  clear: '解除',
  correct: '更正',
};
const LEVEL_ZH = { yellow: '黄色预警', orange: '橙色预警', red: '红色预警' } as const;

interface Remembered {
  id: number;
  spec: AnnotationSpec;
}

export function createGrafanaAnnotator(client: GrafanaClient, opts: AnnotatorOptions = {}): GrafanaAnnotator {
  const alarmsUid = opts.alarmsDashboardUid ?? UID.alarms;
  const warningUid = opts.warningDashboardUid ?? UID.heavyPollution;
  const max = opts.maxRemembered ?? 10_000;
  const remembered = new Map<string, Remembered>();

  function remember(key: string, value: Remembered): void {
    remembered.delete(key);
    remembered.set(key, value);
    while (remembered.size > max) {
      const oldest = remembered.keys().next().value;
      if (oldest === undefined) break;
      remembered.delete(oldest);
    }
  }

  async function upsert(key: string, spec: AnnotationSpec, update: (prev: AnnotationSpec) => AnnotationSpec) {
    const prev = remembered.get(key);
    if (prev) {
      const next = update(prev.spec);
      await client.updateAnnotation(prev.id, next);
      remember(key, { id: prev.id, spec: next });
      return;
    }
    const id = await client.createAnnotation(spec);
    remember(key, { id, spec });
  }

  return {
    async alarm(t) {
      const key = `alarm:${t.alarmId}`;
      const line = `【${TRANSITION_ZH[t.transition]}】${t.textZh}${t.actor ? `（${t.actor}）` : ''}`;
      const tags = ['报警', t.severity, t.rule, t.outletName, t.pollutant, `alarm:${t.alarmId}`];
      const fresh: AnnotationSpec = {
        time: t.timeMs,
        text: `${t.enterpriseName} ${t.outletName}：${line}`,
        tags,
        dashboardUID: alarmsUid,
      };
      if (t.transition === 'clear') fresh.timeEnd = t.timeMs;
      try {
        await upsert(key, fresh, (prev) => {
          const next: AnnotationSpec = { ...prev, text: `${prev.text}\n${line}` };
          // The episode's region: from the open annotation's time to the clear.
          if (t.transition === 'clear') next.timeEnd = Math.max(t.timeMs, prev.time);
          return next;
        });
      } catch (err) {
        opts.onError?.(err, { kind: 'alarm', id: t.alarmId, transition: t.transition });
      }
    },

    async warning(t) {
      const key = `warning:${t.warningId}`;
      const text = `${t.region} ${LEVEL_ZH[t.level]}：${t.textZh}`;
      const spec: AnnotationSpec = {
        time: t.startMs,
        timeEnd: Math.max(t.endMs, t.startMs),
        text,
        tags: ['重污染预警', t.level, t.region, `warning:${t.warningId}`],
        dashboardUID: warningUid,
      };
      try {
        // A proposal is not a declared period: mark the moment only.
        if (t.transition === 'proposed') {
          await client.createAnnotation({
            time: t.startMs,
            text: `【建议启动】${text}`,
            tags: ['重污染预警', '建议', t.level, t.region],
            dashboardUID: warningUid,
          });
          return;
        }
        await upsert(key, spec, (prev) => ({ ...spec, time: prev.time, text: `${prev.text}\n${text}` }));
      } catch (err) {
        opts.onError?.(err, { kind: 'warning', id: t.warningId, transition: t.transition });
      }
    },
  };
}
