/**
 * Warning levels observed from regional daily AQI (pure). Default conditions are aqi.md "Warning levels"
 * / regulations.md §6.1 ([S36], [S38]); they are data (config `heavyPollution.thresholds`, per region),
 * not constants. An observed level is only ever *proposed* to duty officers (aqi.md: "never silently made
 * official").
 */
export const LEVELS = ['yellow', 'orange', 'red'] as const;
export type WarningLevel = (typeof LEVELS)[number];
export const LEVEL_RANK: Record<WarningLevel, number> = { yellow: 1, orange: 2, red: 3 };
export const LEVEL_ZH: Record<WarningLevel, string> = { yellow: '黄色', orange: '橙色', red: '红色' };
export const RESPONSE_ZH: Record<WarningLevel, string> = { yellow: 'Ⅲ级', orange: 'Ⅱ级', red: 'Ⅰ级' };

export interface LevelThresholds {
  /** "AQI > 200" of every level. */
  heavyAbove: number;
  /** "AQI > 300" of orange and red. */
  severeAbove: number;
  /** Red also when the AQI reaches this on one day. */
  redReach: number;
  yellowDays: number;
  orangeDays: number;
  orangeSevereDays: number;
  redDays: number;
  redSevereDays: number;
}

export const DEFAULT_THRESHOLDS: LevelThresholds = {
  heavyAbove: 200,
  severeAbove: 300,
  redReach: 500,
  yellowDays: 2,
  orangeDays: 3,
  orangeSevereDays: 1,
  redDays: 4,
  redSevereDays: 2,
};

export interface DailyAqiPoint {
  /** Local day start (ms). */
  day: number;
  aqi: number;
}

export interface ObservedLevel {
  level: WarningLevel;
  /** Days of the run ending on the last day with AQI above `heavyAbove`. */
  runDays: number;
  severeDays: number;
  runStart: number;
  lastAqi: number;
}

/**
 * The level met by the run of consecutive heavy days ending on the newest day, or undefined. `days` must
 * be consecutive local days in ascending order (a missing day breaks the run: no data is no evidence).
 */
export function observedLevel(
  days: readonly DailyAqiPoint[],
  t: LevelThresholds = DEFAULT_THRESHOLDS,
  dayMs = 86_400_000,
): ObservedLevel | undefined {
  let run = 0;
  let severe = 0;
  let reach = false;
  let runStart = 0;
  for (let i = days.length - 1; i >= 0; i--) {
    const d = days[i] as DailyAqiPoint;
    const next = days[i + 1];
    // Local days are 23–25 h only with DST; Asia/Shanghai has none, 2 h of slack covers other zones.
    if (next && next.day - d.day > dayMs + 7_200_000) break;
    if (!(d.aqi > t.heavyAbove)) break;
    run++;
    runStart = d.day;
    if (d.aqi > t.severeAbove) severe++;
    if (d.aqi >= t.redReach) reach = true;
  }
  const last = days[days.length - 1];
  if (!last || run === 0) return undefined;
  let level: WarningLevel | undefined;
  if ((run >= t.redDays && severe >= t.redSevereDays) || reach) level = 'red';
  else if (run >= t.orangeDays && severe >= t.orangeSevereDays) level = 'orange';
  else if (run >= t.yellowDays) level = 'yellow';
  if (!level) return undefined;
  return { level, runDays: run, severeDays: severe, runStart, lastAqi: last.aqi };
}
