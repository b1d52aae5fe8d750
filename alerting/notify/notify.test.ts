import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../config.js';
import type { Alarm } from '../lifecycle/book.js';
import { dingTalkSign, dingTalkUrl } from './channels.js';
import { renderMessage } from './render.js';
import { dueSteps, episodeChannels, reminderDue, tier0Channels } from './routing.js';

const T = Date.parse('2026-11-23T10:00:00+08:00');
const alarm: Alarm = {
  id: 'a-1',
  key: 'o|a21026|hourly_zs_exceedance',
  outletId: 'o',
  pollutant: 'a21026',
  rule: 'hourly_zs_exceedance',
  enterpriseId: 'ent',
  region: '滨江经开区',
  mn: 'MN',
  severity: 'exceedance',
  state: 'active',
  openedAt: T + 75 * 60_000,
  updatedAt: T,
  firstWindowStart: T,
  lastWindowStart: T,
  lastWindowEnd: T + 3_600_000,
  value: 60.1234,
  limit: 35,
  unit: 'mg/m3',
  basis: 'zs',
  windows: [T],
  lastJudgedWindow: T,
  belowCount: 0,
  tiersDone: [],
};

describe('messages', () => {
  it('Chinese first: enterprise, outlet, pollutant name, value 折算, limit with source, window, link', () => {
    const m = renderMessage(
      {
        alarm,
        transition: 'open',
        enterpriseName: '某热电',
        outletName: '1号烟囱',
        limitSource: 'GB 13271-2014 表2',
        consoleUrl: 'https://c/',
        timeZone: 'Asia/Shanghai',
      },
      'zh',
    );
    expect(m.title).toBe('【超标】新报警：某热电 1号烟囱 二氧化硫');
    for (const part of [
      '企业：某热电',
      '污染物：二氧化硫（a21026）',
      '数值：60.12 mg/m³（折算）',
      '限值：35 mg/m³（GB 13271-2014 表2）',
      '时段：2026-11-23 10:00–11:00',
      '详情：https://c/alarms/a-1',
    ])
      expect(m.text).toContain(part);
    expect(m.textEn).toContain('Pollutant: sulfur dioxide (a21026)');
    expect(m.textEn).toContain('reference-O2 corrected');
    const en = renderMessage(
      {
        alarm: { ...alarm, state: 'cleared', clearReason: 'recovered' },
        transition: 'clear',
        enterpriseName: 'E',
        outletName: 'O',
        timeZone: 'Asia/Shanghai',
      },
      'en',
    );
    expect(en.title).toBe('[exceedance] Alarm cleared: E O sulfur dioxide');
    expect(en.markdown.startsWith('### ')).toBe(true);
  });
});

describe('routing', () => {
  const routes: RouteConfig[] = [
    {
      match: { severities: ['exceedance'] },
      channels: ['duty'],
      escalate: [
        { afterMinutes: 30, channels: ['chief'] },
        { afterMinutes: 120, channels: ['bureau'] },
      ],
    },
    { match: { regions: ['别的区'] }, channels: ['other'], escalate: [] },
    {
      match: { enterprises: ['ent'], rules: ['hourly_zs_exceedance'] },
      channels: ['ent-mail', 'duty'],
      escalate: [],
    },
  ];

  it('matches by enterprise, region, severity and rule', () => {
    expect(tier0Channels(routes, alarm)).toEqual(['duty', 'ent-mail']);
    expect(tier0Channels(routes, { ...alarm, severity: 'warning' })).toEqual(['ent-mail', 'duty']);
  });

  it('escalation steps fire once after their delay while unacknowledged; their channels hear the clear', () => {
    expect(dueSteps(routes, alarm, alarm.openedAt + 29 * 60_000)).toEqual([]);
    expect(dueSteps(routes, alarm, alarm.openedAt + 30 * 60_000)).toEqual([
      { key: '0:0', channels: ['chief'] },
    ]);
    const after = { ...alarm, tiersDone: ['0:0'] };
    expect(dueSteps(routes, after, alarm.openedAt + 31 * 60_000)).toEqual([]);
    expect(dueSteps(routes, { ...after, state: 'acknowledged' }, alarm.openedAt + 500 * 60_000)).toEqual([]);
    expect(episodeChannels(routes, after)).toEqual(['duty', 'ent-mail', 'chief']);
  });

  it('reminders count from the last notification', () => {
    expect(reminderDue({ ...alarm, lastNotifiedAt: T }, 60, T + 59 * 60_000)).toBe(false);
    expect(reminderDue({ ...alarm, lastNotifiedAt: T }, 60, T + 60 * 60_000)).toBe(true);
    expect(reminderDue({ ...alarm, lastNotifiedAt: T }, 0, T + 600 * 60_000)).toBe(false);
  });
});

describe('DingTalk signature', () => {
  it('signs timestamp\\nsecret with HMAC-SHA256, base64, url-encoded', () => {
    // Reference value computed independently: printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
    expect(decodeURIComponent(dingTalkSign(1700000000000, 'SECabc'))).toBe(
      'jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM=',
    );
    expect(dingTalkUrl('https://oapi.dingtalk.com/robot/send?access_token=t', 'SECabc', 1)).toMatch(
      /^https:\/\/oapi\.dingtalk\.com\/robot\/send\?access_token=t&timestamp=1&sign=[A-Za-z0-9%]+$/,
    );
    expect(dingTalkUrl('https://x/send?access_token=t', undefined, 1)).toBe('https://x/send?access_token=t');
  });
});
