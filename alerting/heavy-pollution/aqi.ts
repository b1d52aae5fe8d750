/**
 * Ambient air quality index, HJ 633-2012 (技术规定（试行）), pure. Breakpoints, special rules and categories
 * exactly as in reference/aqi.md (Table 1 and notes ¹–³). Items marked "verify" there are options with
 * the aqi.md defaults: integer rounding (ceil) and the hourly PM basis (24-h moving means).
 */

/** HJ 212 / HJ 524 codes of the six AQI pollutants (aqi.md, last paragraph of the IAQI section). */
export const AQI_CODES = {
  pm25: 'a34004',
  pm10: 'a34002',
  so2: 'a21026',
  no2: 'a21004',
  co: 'a21005',
  o3: 'a05024',
} as const;
export type AqiPollutant = keyof typeof AQI_CODES;

/** IAQI levels of the breakpoint rows (aqi.md Table 1, first column). */
export const IAQI_LEVELS = [0, 50, 100, 150, 200, 300, 400, 500] as const;

/**
 * Breakpoints (μg/m³, CO mg/m³), aqi.md Table 1. SO2 1-h stops at 800 (note ³) and O3 8-h at 800
 * (note ²): the shorter rows are the truncated columns.
 */
export const BREAKPOINTS = {
  so2_24h: [0, 50, 150, 475, 800, 1600, 2100, 2620],
  so2_1h: [0, 150, 500, 650, 800],
  no2_24h: [0, 40, 80, 180, 280, 565, 750, 940],
  no2_1h: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  pm10_24h: [0, 50, 150, 250, 350, 420, 500, 600],
  co_24h: [0, 2, 4, 14, 24, 36, 48, 60],
  co_1h: [0, 5, 10, 35, 60, 90, 120, 150],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 160, 215, 265, 800],
  pm25_24h: [0, 35, 75, 115, 150, 250, 350, 500],
} as const satisfies Record<string, readonly number[]>;
export type BreakpointColumn = keyof typeof BREAKPOINTS;

export interface AqiOptions {
  /** aqi.md "verify": integer IAQI by rounding up (default) or to nearest. */
  rounding: 'ceil' | 'round';
}
export const DEFAULT_AQI_OPTIONS: AqiOptions = { rounding: 'ceil' };

function toInt(x: number, o: AqiOptions): number {
  // 1e-9 guards against binary fractions such as 74.99999999 being rounded up to 75 → 76 errors.
  // `+ 0` turns Math.ceil's -0 (for 0 − 1e-9) into 0.
  return (o.rounding === 'ceil' ? Math.ceil(x - 1e-9) : Math.round(x)) + 0;
}

/**
 * IAQI of one concentration on one breakpoint column (HJ 633-2012 formula (1), aqi.md). Negative or
 * non-finite concentrations give undefined. A full column caps at 500 (aqi.md: "Above the top breakpoint
 * the IAQI is 500"); a truncated column (SO2 1-h, O3 8-h) returns undefined above its top, the caller
 * applies notes ² and ³.
 */
export function iaqi(
  column: BreakpointColumn,
  c: number,
  o: AqiOptions = DEFAULT_AQI_OPTIONS,
): number | undefined {
  if (!Number.isFinite(c) || c < 0) return undefined;
  const bp: readonly number[] = BREAKPOINTS[column];
  const top = bp[bp.length - 1] as number;
  const full = bp.length === IAQI_LEVELS.length;
  if (c >= top) {
    if (full) return 500;
    if (c === top) return IAQI_LEVELS[bp.length - 1];
    return undefined;
  }
  for (let i = 0; i < bp.length - 1; i++) {
    const lo = bp[i] as number;
    const hi = bp[i + 1] as number;
    if (c >= lo && c < hi) {
      const iLo = IAQI_LEVELS[i] as number;
      const iHi = IAQI_LEVELS[i + 1] as number;
      return toInt(((iHi - iLo) / (hi - lo)) * (c - lo) + iLo, o);
    }
  }
  return undefined;
}

/** Category 1–6 with names and colours (aqi.md "Categories"). */
export interface AqiCategory {
  category: 1 | 2 | 3 | 4 | 5 | 6;
  nameZh: string;
  nameEn: string;
  colour: string;
}
const CATEGORIES: readonly AqiCategory[] = [
  { category: 1, nameZh: '优', nameEn: 'excellent', colour: 'green' },
  { category: 2, nameZh: '良', nameEn: 'good', colour: 'yellow' },
  { category: 3, nameZh: '轻度污染', nameEn: 'lightly polluted', colour: 'orange' },
  { category: 4, nameZh: '中度污染', nameEn: 'moderately polluted', colour: 'red' },
  { category: 5, nameZh: '重度污染', nameEn: 'heavily polluted', colour: 'purple' },
  { category: 6, nameZh: '严重污染', nameEn: 'severely polluted', colour: 'maroon' },
];
export function categoryOf(aqi: number): AqiCategory {
  const idx = aqi <= 50 ? 0 : aqi <= 100 ? 1 : aqi <= 150 ? 2 : aqi <= 200 ? 3 : aqi <= 300 ? 4 : 5;
  return CATEGORIES[idx] as AqiCategory;
}

export interface AqiResult {
  aqi: number;
  /** HJ 212 codes with the maximal IAQI; empty when AQI ≤ 50 (aqi.md). */
  primary: string[];
  category: AqiCategory;
  /** IAQI per HJ 212 code (O3: the larger of its 1-h and 8-h IAQI). */
  iaqi: Record<string, number>;
}

function combine(parts: Record<string, number | undefined>): AqiResult | undefined {
  const iaqiByCode: Record<string, number> = {};
  for (const [code, v] of Object.entries(parts)) {
    if (v === undefined) continue;
    const prev = iaqiByCode[code];
    iaqiByCode[code] = prev === undefined ? v : Math.max(prev, v);
  }
  const values = Object.values(iaqiByCode);
  if (values.length === 0) return undefined;
  const aqi = Math.min(500, Math.max(...values));
  const primary = aqi > 50 ? Object.keys(iaqiByCode).filter((c) => iaqiByCode[c] === aqi) : [];
  return { aqi, primary: primary.sort(), category: categoryOf(aqi), iaqi: iaqiByCode };
}

/** Inputs of the hourly (real-time) AQI; any may be missing. */
export interface HourlyInputs {
  so2_1h?: number;
  /** SO2 24-h (moving) mean: used when SO2 1-h > 800 (note ³). */
  so2_24h?: number;
  no2_1h?: number;
  co_1h?: number;
  o3_1h?: number;
  o3_8h?: number;
  /** PM: 24-h moving means with the 24-h breakpoints (aqi.md "verify"). */
  pm10_24h?: number;
  pm25_24h?: number;
}

const opt = (col: BreakpointColumn, c: number | undefined, o: AqiOptions): number | undefined =>
  c === undefined ? undefined : iaqi(col, c, o);

/** SO2 IAQI for an hour: 1-h breakpoints up to 800, above that the 24-h mean (note ³). */
function so2Hour(x: HourlyInputs, o: AqiOptions): number | undefined {
  if (x.so2_1h === undefined) return opt('so2_24h', x.so2_24h, o);
  if (x.so2_1h > 800) return opt('so2_24h', x.so2_24h, o);
  return iaqi('so2_1h', x.so2_1h, o);
}

/** O3 8-h IAQI: above 800 the 1-h value decides instead (note ²), so the 8-h part drops out. */
function o3EightHour(c: number | undefined, o: AqiOptions): number | undefined {
  if (c === undefined || c > 800) return undefined;
  return iaqi('o3_8h', c, o);
}

export function hourlyAqi(x: HourlyInputs, o: AqiOptions = DEFAULT_AQI_OPTIONS): AqiResult | undefined {
  return combine({
    [AQI_CODES.so2]: so2Hour(x, o),
    [AQI_CODES.no2]: opt('no2_1h', x.no2_1h, o),
    [AQI_CODES.co]: opt('co_1h', x.co_1h, o),
    [AQI_CODES.pm10]: opt('pm10_24h', x.pm10_24h, o),
    [AQI_CODES.pm25]: opt('pm25_24h', x.pm25_24h, o),
    [AQI_CODES.o3]: maxDefined(opt('o3_1h', x.o3_1h, o), o3EightHour(x.o3_8h, o)),
  });
}

/** Inputs of the daily AQI: 24-h means, the O3 daily maximum 1-h and maximum 8-h moving mean. */
export interface DailyInputs {
  so2_24h?: number;
  no2_24h?: number;
  co_24h?: number;
  pm10_24h?: number;
  pm25_24h?: number;
  o3_1h_max?: number;
  o3_8h_max?: number;
}

export function dailyAqi(x: DailyInputs, o: AqiOptions = DEFAULT_AQI_OPTIONS): AqiResult | undefined {
  // Daily AQI uses the 24-h columns only (note ¹: 1-h SO2/NO2/CO breakpoints are for hourly AQI).
  return combine({
    [AQI_CODES.so2]: opt('so2_24h', x.so2_24h, o),
    [AQI_CODES.no2]: opt('no2_24h', x.no2_24h, o),
    [AQI_CODES.co]: opt('co_24h', x.co_24h, o),
    [AQI_CODES.pm10]: opt('pm10_24h', x.pm10_24h, o),
    [AQI_CODES.pm25]: opt('pm25_24h', x.pm25_24h, o),
    [AQI_CODES.o3]: maxDefined(opt('o3_1h', x.o3_1h_max, o), o3EightHour(x.o3_8h_max, o)),
  });
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** Mean of the defined values, undefined when none (regional means, moving means). */
export function meanOf(xs: readonly (number | undefined)[]): number | undefined {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? undefined : v.reduce((s, x) => s + x, 0) / v.length;
}
