import { pollutantInfo } from '../../config/pollutant-codes.js';
import { utcToWallTime } from '../../core/local-time.js';
import type { RuleId, Severity } from '../config.js';
import type { Alarm, Transition } from '../lifecycle/book.js';

/**
 * Message rendering (pure): Simplified Chinese first, English on request. Every message carries what a
 * duty officer needs to act and to prove the case: enterprise, outlet, pollutant (Chinese name and
 * code), value and whether it is 折算 or measured, the limit with its source, the window, the alarm id
 * and a link to the console.
 */
export interface RenderContext {
  alarm: Alarm;
  transition: Transition;
  enterpriseName: string;
  outletName: string;
  /** e.g. "GB 13271-2014 表2 新建燃气锅炉 · 表2 (V)". */
  limitSource?: string;
  consoleUrl?: string;
  timeZone: string;
  actor?: string;
  comment?: string;
}

export interface RenderedMessage {
  language: 'zh' | 'en';
  title: string;
  /** Markdown (DingTalk / WeCom). */
  markdown: string;
  /** Plain text (e-mail, logs, alarm_event text fields). */
  text: string;
  /** Both languages, stored with the alarm event. */
  textZh: string;
  textEn: string;
  link?: string;
}

const SEVERITY_ZH: Record<Severity, string> = {
  exceedance: '超标',
  warning: '预警',
  early_warning: '超标预警（接近限值）',
  notice: '实时超限提示',
  quality: '数据异常',
};
const SEVERITY_EN: Record<Severity, string> = {
  exceedance: 'exceedance',
  warning: 'warning',
  early_warning: 'early warning (near the limit)',
  notice: 'real-time notice',
  quality: 'data quality',
};
const RULE_ZH: Record<RuleId, string> = {
  hourly_zs_exceedance: '小时均值超标',
  hourly_warning: '小时均值超限预警',
  daily_exceedance: '日均值超标',
  instant: '实时值超限',
  over_range: '超仪器量程（T标记）',
  hp_stop: '重污染天气预警期间未按要求停产',
  hp_limit: '重污染天气预警期间未按要求限产',
  hp_cap: '重污染天气预警期间超过加严浓度限值',
  hp_observed: '观测到重污染，建议启动预警',
  hp_warning: '重污染天气预警',
};
const RULE_EN: Record<RuleId, string> = {
  hourly_zs_exceedance: 'hourly mean over the limit',
  hourly_warning: 'hourly mean over the limit (warning)',
  daily_exceedance: 'daily mean over the limit',
  instant: 'real-time value over the limit',
  over_range: 'over the analyser range (flag T)',
  hp_stop: 'heavy-pollution warning: production not stopped as required',
  hp_limit: 'heavy-pollution warning: load above the allowed share of the baseline',
  hp_cap: 'heavy-pollution warning: concentration above the warning-period cap',
  hp_observed: 'observed heavy pollution: warning level suggested',
  hp_warning: 'heavy-pollution weather warning',
};

function transitionZh(t: Transition, a: Alarm): string {
  switch (t) {
    case 'open':
      return '新报警';
    case 'escalate':
      return '报警升级';
    case 'clear':
      return a.clearReason === 'manual' ? '报警人工解除' : '报警解除';
    case 'correct':
      return '报警撤销（数据修正后重判）';
    case 'tier':
      return '报警未确认，逐级上报';
    case 'remind':
      return '报警未确认提醒';
    case 'ack':
      return '报警已确认';
    default:
      return '报警更新';
  }
}

function transitionEn(t: Transition, a: Alarm): string {
  switch (t) {
    case 'open':
      return 'New alarm';
    case 'escalate':
      return 'Alarm escalated';
    case 'clear':
      return a.clearReason === 'manual' ? 'Alarm cleared manually' : 'Alarm cleared';
    case 'correct':
      return 'Alarm withdrawn (window re-judged with late data)';
    case 'tier':
      return 'Alarm not acknowledged: escalated to the next tier';
    case 'remind':
      return 'Reminder: alarm not acknowledged';
    case 'ack':
      return 'Alarm acknowledged';
    default:
      return 'Alarm updated';
  }
}

export function formatNumber(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

export function displayUnit(unit: string | undefined): string {
  if (unit === undefined) return '';
  return unit.replace(/m3\b/, 'm³').replace(/^ug\//, 'μg/');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function formatWindow(start: number, end: number, zone: string): string {
  const a = utcToWallTime(start, zone);
  const day = `${a.year}-${pad(a.month)}-${pad(a.day)}`;
  if (end <= start) return `${day} ${pad(a.hour)}:${pad(a.minute)}:${pad(a.second)}`;
  const b = utcToWallTime(end, zone);
  const endDay = `${b.year}-${pad(b.month)}-${pad(b.day)}`;
  if (end - start >= 86_400_000 - 7_200_000) return day; // a local day (23–25 h)
  return `${day} ${pad(a.hour)}:${pad(a.minute)}–${endDay === day ? '' : `${endDay} `}${pad(b.hour)}:${pad(b.minute)}`;
}

export function renderMessage(ctx: RenderContext, language: 'zh' | 'en'): RenderedMessage {
  const { alarm: a } = ctx;
  const info = pollutantInfo(a.pollutant);
  const unit = displayUnit(a.unit);
  const window = formatWindow(a.lastWindowStart, a.lastWindowEnd, ctx.timeZone);
  const link = ctx.consoleUrl ? `${ctx.consoleUrl.replace(/\/$/, '')}/alarms/${a.id}` : undefined;
  const value = a.value === undefined ? undefined : formatNumber(a.value);
  const limitText =
    a.limit === undefined && a.limitMin === undefined
      ? undefined
      : a.limitMin !== undefined && a.limit !== undefined
        ? `${formatNumber(a.limitMin)}–${formatNumber(a.limit)}`
        : formatNumber((a.limit ?? a.limitMin) as number);

  const zhTitle = `【${SEVERITY_ZH[a.severity]}】${transitionZh(ctx.transition, a)}：${ctx.enterpriseName} ${ctx.outletName} ${info?.nameZh ?? a.pollutant}`;
  const zhLines = [
    `企业：${ctx.enterpriseName}`,
    `排口：${ctx.outletName}`,
    `污染物：${info?.nameZh ?? a.pollutant}（${a.pollutant}）`,
    `规则：${RULE_ZH[a.rule]}`,
    ...(value !== undefined ? [`数值：${value} ${unit}（${a.basis === 'zs' ? '折算' : '实测'}）`] : []),
    ...(limitText !== undefined
      ? [
          `限值：${limitText} ${unit}${ctx.limitSource ? `（${ctx.limitSource}）` : ''}${a.limitCondition === 'cold' ? '，水温≤12℃' : a.limitCondition === 'warm' ? '，水温>12℃' : a.limitCondition === 'temperature-unknown' ? '，无水温数据按>12℃限值' : ''}`,
        ]
      : []),
    ...(a.evidence?.textZh ? [`依据：${a.evidence.textZh}`] : []),
    `时段：${window}`,
    `状态：${a.state === 'active' ? '未确认' : a.state === 'acknowledged' ? `已确认（${a.ackedBy ?? ''}）` : '已解除'}`,
    `报警编号：${a.id}`,
    ...(ctx.comment ? [`备注：${ctx.comment}`] : []),
    ...(link ? [`详情：${link}`] : []),
  ];
  const enTitle = `[${SEVERITY_EN[a.severity]}] ${transitionEn(ctx.transition, a)}: ${ctx.enterpriseName} ${ctx.outletName} ${info?.nameEn ?? a.pollutant}`;
  const enLines = [
    `Enterprise: ${ctx.enterpriseName}`,
    `Outlet: ${ctx.outletName}`,
    `Pollutant: ${info?.nameEn ?? a.pollutant} (${a.pollutant})`,
    `Rule: ${RULE_EN[a.rule]}`,
    ...(value !== undefined
      ? [`Value: ${value} ${unit} (${a.basis === 'zs' ? 'reference-O2 corrected' : 'measured'})`]
      : []),
    ...(limitText !== undefined
      ? [`Limit: ${limitText} ${unit}${ctx.limitSource ? ` (${ctx.limitSource})` : ''}`]
      : []),
    ...(a.evidence?.textEn ? [`Evidence: ${a.evidence.textEn}`] : []),
    `Window: ${window}`,
    `State: ${a.state}`,
    `Alarm id: ${a.id}`,
    ...(ctx.comment ? [`Comment: ${ctx.comment}`] : []),
    ...(link ? [`Details: ${link}`] : []),
  ];
  const textZh = [zhTitle, ...zhLines].join('\n');
  const textEn = [enTitle, ...enLines].join('\n');
  const zh = language === 'zh';
  const title = zh ? zhTitle : enTitle;
  const lines = zh ? zhLines : enLines;
  const msg: RenderedMessage = {
    language,
    title,
    markdown: [`### ${title}`, ...lines.map((l) => `- ${l}`)].join('\n'),
    text: zh ? textZh : textEn,
    textZh,
    textEn,
  };
  if (link) msg.link = link;
  return msg;
}
