import type { SourceType } from '../config/registry.js';

/**
 * Plausible value levels per (source type, pollutant code), so that simulated data looks like a real
 * park's: ultra-low coal power well under 35/50/10 mg/m³, low-NOx gas boilers, cement kilns with SNCR,
 * 1A-grade municipal effluent (reference/regulations.md §2–§4). Concentrations are the *measured* dry
 * values a CEMS sends (Rtd), not 折算 values; the bands leave room for the O2 correction so that normal
 * operation stays compliant and exceedances come only from scenario rules.
 *
 * A value is placed inside its band [lo, hi] by a position x ∈ [0, 1]:
 *   x = 0.5 + load·(L − 0.5) + season·(S − 0.5) + bias + noise
 * where L is the outlet's load factor (daily shape + slow noise), S the season (1 at the end of July),
 * bias a per-gateway offset (two units of one plant are not identical) and noise an AR(1) process.
 * x is reflected back into [0, 1] rather than clamped, so a value never sticks at a bound (a flat line
 * would look like the "constant value" fraud signal, regulations.md §7).
 */

export interface ValueProfile {
  /** Plausible band of the value in the registry's default unit for the code. */
  lo: number;
  hi: number;
  /** Weight of the load factor, −1…1; negative when the value falls as load rises (O2). */
  load: number;
  /** Weight of the season (water temperature), 0…1. */
  season?: number;
  /** Standard deviation of the AR(1) noise, as a fraction of the band. */
  noise: number;
  /** Correlation time of the noise in minutes (analysers and processes are smooth, not white). */
  tauMin: number;
  /** Decimals sent on the wire. */
  decimals: number;
}

/** Daily load shape: local hour (0–24, fractional) → load factor in [0, 1]. */
export type LoadShape = (localHour: number) => number;

export interface SourceProfile {
  shape: LoadShape;
  values: Readonly<Record<string, ValueProfile>>;
}

const TWO_PI = 2 * Math.PI;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** Smooth 0→1→0 plateau between `from` and `to` hours with ramps of `ramp` hours. */
function plateau(h: number, from: number, to: number, ramp: number): number {
  const up = clamp01((h - from + ramp / 2) / ramp);
  const down = clamp01((to + ramp / 2 - h) / ramp);
  const s = Math.min(up, down);
  return s * s * (3 - 2 * s);
}

export const LOAD_SHAPES = {
  /** Grid demand: low before dawn, high through the afternoon and evening peak. */
  power: (h) => 0.5 + 0.45 * Math.cos((TWO_PI * (h - 15)) / 24),
  /** Day-shift industry and process heat: full load 08–18, banked at night. */
  dayShift: (h) => 0.2 + 0.75 * plateau(h, 8, 18, 3),
  /** Cement mills run on the off-peak electricity tariff (谷电): high at night, low by day. */
  offPeak: (h) => 0.9 - 0.75 * plateau(h, 8, 22, 2),
  /** Kilns and incinerators run continuously; only a slight daily ripple. */
  continuous: (h) => 0.5 + 0.12 * Math.cos((TWO_PI * (h - 14)) / 24),
  /** Municipal inflow: minimum around 04–05, peaks late morning and evening (effluent lags a little). */
  sewage: (h) =>
    clamp01(0.5 + 0.3 * Math.cos((TWO_PI * (h - 15)) / 24) + 0.15 * Math.cos((2 * TWO_PI * (h - 11)) / 24)),
} satisfies Record<string, LoadShape>;

/** Shorthand constructor: band, load weight, noise, correlation time, decimals. */
function p(
  lo: number,
  hi: number,
  load: number,
  noise: number,
  tauMin: number,
  decimals: number,
  season?: number,
): ValueProfile {
  return season === undefined
    ? { lo, hi, load, noise, tauMin, decimals }
    : { lo, hi, load, noise, tauMin, decimals, season };
}

/** Codes whose level hardly depends on the source type, used when a source has no entry for the code. */
const COMMON: Record<string, ValueProfile> = {
  a01011: p(8, 18, 0.8, 0.04, 20, 2), // flue-gas velocity, m/s
  a01014: p(6, 12, 0.2, 0.05, 60, 1), // flue-gas humidity, %
  a01013: p(0.1, 0.6, 0.5, 0.05, 30, 3), // flue-gas (gauge) pressure, kPa
  a01017: p(0.1, 0.4, 0.8, 0.05, 20, 3), // dynamic pressure, kPa
  a21005: p(5, 40, -0.2, 0.12, 20, 1), // CO, mg/m³
  a21024: p(2, 15, 0.2, 0.12, 30, 2), // HCl
  a21001: p(0.3, 2.5, 0.2, 0.12, 30, 2), // NH3 slip
  a21018: p(0.05, 0.8, 0.2, 0.12, 60, 3), // fluoride
  a24088: p(2, 20, 0.3, 0.12, 30, 2), // NMHC
  a05001: p(60_000, 180_000, 0.6, 0.05, 30, 0), // CO2
  a01901: p(900, 1050, 0.4, 0.04, 30, 1), // furnace temperature ℃
  a01902: p(880, 1030, 0.4, 0.04, 30, 1),
  w01012: p(4, 9, 0.3, 0.1, 60, 1), // SS
  w01017: p(3, 9, 0.3, 0.1, 90, 1), // BOD5
  w01009: p(2, 6, -0.3, 0.08, 60, 2), // DO
  w01014: p(600, 1500, 0.2, 0.05, 120, 0), // conductivity μS/cm
  w01010: p(12, 25, 0.05, 0.03, 180, 1, 0.85), // water temperature ℃, mostly seasonal
  w01001: p(6.8, 7.6, 0.1, 0.1, 120, 2), // pH
  w00000: p(200, 700, 0.9, 0.04, 20, 2), // wastewater flow L/s
};

/** Unknown code: a generic, strictly positive signal (the ingest side decides what to do with it). */
export const GENERIC_PROFILE: ValueProfile = p(1, 10, 0.2, 0.1, 30, 2);

export const SOURCE_PROFILES: Readonly<Record<SourceType, SourceProfile>> = {
  'coal-power': {
    shape: LOAD_SHAPES.power,
    values: {
      a21026: p(5, 30, 0.35, 0.1, 30, 2), // SO2, ultra-low limit 35
      a21002: p(20, 45, 0.3, 0.1, 20, 2), // NOx, ultra-low limit 50
      a34013: p(1, 5, 0.3, 0.1, 30, 2), // PM, ultra-low limit 10
      a19001: p(6, 9, -0.7, 0.06, 20, 2), // O2 % (ref 6)
      a00000: p(250, 450, 0.9, 0.03, 20, 1), // flue gas of a 300 MW unit, m³/s
      a01012: p(45, 55, 0.5, 0.05, 60, 1), // after wet FGD
      a01011: p(14, 22, 0.9, 0.03, 20, 2),
      a01014: p(9, 14, 0.2, 0.05, 60, 1), // saturated after wet FGD
      a21005: p(10, 50, -0.3, 0.12, 20, 1),
    },
  },
  'coal-boiler': {
    shape: LOAD_SHAPES.dayShift,
    values: {
      a21026: p(20, 120, 0.35, 0.1, 30, 2), // GB 13271 new coal 300 / special 200
      a21002: p(80, 180, 0.3, 0.1, 20, 2),
      a34013: p(5, 25, 0.3, 0.1, 30, 2),
      a19001: p(9, 12, -0.6, 0.06, 20, 2), // ref 9
      a00000: p(15, 45, 0.9, 0.03, 20, 2),
      a01012: p(50, 60, 0.5, 0.05, 60, 1),
      a01011: p(8, 15, 0.9, 0.03, 20, 2),
      a01014: p(8, 13, 0.2, 0.05, 60, 1),
    },
  },
  'gas-boiler': {
    shape: LOAD_SHAPES.dayShift,
    values: {
      a21026: p(2, 8, 0.2, 0.1, 30, 2),
      a21002: p(20, 45, 0.35, 0.1, 20, 2), // low-NOx burners
      a34013: p(1, 4, 0.2, 0.1, 30, 2),
      a19001: p(3, 6, -0.6, 0.06, 20, 2), // ref 3.5
      a00000: p(3, 12, 0.9, 0.03, 20, 2),
      a01012: p(70, 110, 0.6, 0.04, 30, 1),
      a01011: p(5, 12, 0.9, 0.03, 20, 2),
      a01014: p(8, 15, 0.3, 0.05, 60, 1),
      a21005: p(5, 30, -0.3, 0.12, 20, 1),
    },
  },
  'oil-boiler': {
    shape: LOAD_SHAPES.dayShift,
    values: {
      a21026: p(20, 80, 0.3, 0.1, 30, 2),
      a21002: p(100, 200, 0.3, 0.1, 20, 2),
      a34013: p(5, 20, 0.3, 0.1, 30, 2),
      a19001: p(3, 6, -0.6, 0.06, 20, 2),
      a00000: p(3, 10, 0.9, 0.03, 20, 2),
      a01012: p(150, 200, 0.6, 0.04, 30, 1),
    },
  },
  'cement-kiln': {
    shape: LOAD_SHAPES.continuous,
    values: {
      a21002: p(150, 260, 0.3, 0.1, 30, 1), // SNCR; limit 400 / special 320 at 10 % O2
      a21026: p(10, 60, 0.3, 0.12, 30, 2),
      a34013: p(5, 15, 0.3, 0.1, 30, 2),
      a19001: p(8, 12, -0.5, 0.06, 30, 2), // ref 10
      a00000: p(140, 220, 0.9, 0.04, 30, 1),
      a01012: p(90, 130, 0.5, 0.05, 60, 1),
      a21001: p(1, 6, 0.2, 0.12, 30, 2), // NH3 slip, limit 10 / 8
    },
  },
  'cement-grinding': {
    shape: LOAD_SHAPES.offPeak,
    values: {
      a34013: p(3, 10, 0.3, 0.1, 30, 2), // limit 20 / special 10, no O2 correction
      a00000: p(20, 45, 0.9, 0.04, 20, 2),
      a01012: p(60, 90, 0.6, 0.05, 60, 1),
      a19001: p(19.5, 20.8, -0.3, 0.06, 30, 2), // ventilation air, not flue gas
    },
  },
  incinerator: {
    shape: LOAD_SHAPES.continuous,
    values: {
      a21026: p(5, 50, 0.3, 0.12, 30, 2),
      a21002: p(80, 200, 0.3, 0.1, 20, 1),
      a34013: p(1, 8, 0.3, 0.1, 30, 2),
      a21024: p(5, 30, 0.3, 0.12, 30, 2), // HCl
      a21005: p(5, 40, -0.2, 0.15, 15, 1), // CO spikes on bad combustion
      a19001: p(7, 10, -0.5, 0.06, 20, 2), // ref 11
      a00000: p(25, 45, 0.9, 0.04, 20, 2),
      a01012: p(130, 160, 0.5, 0.05, 60, 1),
    },
  },
  'municipal-wwtp': {
    shape: LOAD_SHAPES.sewage,
    values: {
      w01018: p(15, 40, 0.4, 0.1, 90, 2), // COD, 1A limit 50
      w21003: p(0.3, 3, 0.4, 0.12, 90, 3), // NH3-N, 1A limit 5 (8)
      w21011: p(0.1, 0.4, 0.3, 0.1, 120, 3), // TP, 1A limit 0.5
      w21001: p(5, 12, 0.3, 0.1, 120, 2), // TN, 1A limit 15
      w01001: p(6.8, 7.6, 0.1, 0.1, 120, 2),
      w00000: p(200, 700, 0.9, 0.04, 20, 2),
      w01010: p(12, 25, 0.05, 0.03, 180, 1, 0.85),
    },
  },
  'industrial-wastewater': {
    shape: LOAD_SHAPES.dayShift,
    values: {
      w01018: p(40, 90, 0.4, 0.1, 60, 2), // GB 8978 class 1 COD 100
      w21003: p(1, 8, 0.4, 0.12, 60, 3), // class 1 NH3-N 15
      w21011: p(0.2, 1, 0.3, 0.1, 90, 3),
      w21001: p(8, 20, 0.3, 0.1, 90, 2),
      w01001: p(6.5, 8.5, 0.2, 0.1, 60, 2),
      w00000: p(5, 30, 0.9, 0.04, 20, 2),
      w01010: p(18, 32, 0.2, 0.04, 120, 1, 0.6),
    },
  },
};

export function profileFor(sourceType: SourceType, code: string): ValueProfile {
  return SOURCE_PROFILES[sourceType].values[code] ?? COMMON[code] ?? GENERIC_PROFILE;
}

/** Season factor: 1 at the end of July, 0 at the end of January (northern hemisphere, as China). */
export function seasonFactor(dayOfYear: number): number {
  return 0.5 + 0.5 * Math.cos((TWO_PI * (dayOfYear - 210)) / 365.25);
}

/** Medium and default measured items per source type, for generated registries. */
export const SOURCE_MEDIUM: Readonly<Record<SourceType, 'gas' | 'water'>> = {
  'coal-power': 'gas',
  'coal-boiler': 'gas',
  'gas-boiler': 'gas',
  'oil-boiler': 'gas',
  'cement-kiln': 'gas',
  'cement-grinding': 'gas',
  incinerator: 'gas',
  'municipal-wwtp': 'water',
  'industrial-wastewater': 'water',
};

export interface PollutantSpec {
  code: string;
  unit: string;
}

const GAS_UNITS: Record<string, string> = {
  a19001: '%',
  a00000: 'm3/s',
  a01012: '℃',
  a01011: 'm/s',
  a01014: '%',
};
const WATER_UNITS: Record<string, string> = { w01001: '无量纲', w00000: 'L/s', w01010: '℃' };

const gas = (...codes: string[]): PollutantSpec[] =>
  codes.map((code) => ({ code, unit: GAS_UNITS[code] ?? 'mg/m3' }));
const water = (...codes: string[]): PollutantSpec[] =>
  codes.map((code) => ({ code, unit: WATER_UNITS[code] ?? 'mg/L' }));
export const DEFAULT_POLLUTANTS: Readonly<Record<SourceType, readonly PollutantSpec[]>> = {
  'coal-power': gas('a21026', 'a21002', 'a34013', 'a19001', 'a00000', 'a01012', 'a01011', 'a01014'),
  'coal-boiler': gas('a21026', 'a21002', 'a34013', 'a19001', 'a00000', 'a01012', 'a01011', 'a01014'),
  'gas-boiler': gas('a21026', 'a21002', 'a34013', 'a19001', 'a00000', 'a01012'),
  'oil-boiler': gas('a21026', 'a21002', 'a34013', 'a19001', 'a00000', 'a01012'),
  'cement-kiln': gas('a21026', 'a21002', 'a34013', 'a19001', 'a00000', 'a01012', 'a21001'),
  'cement-grinding': gas('a34013', 'a00000', 'a01012'),
  incinerator: gas('a21026', 'a21002', 'a34013', 'a21024', 'a21005', 'a19001', 'a00000', 'a01012'),
  'municipal-wwtp': water('w01018', 'w21003', 'w21011', 'w21001', 'w01001', 'w00000', 'w01010'),
  'industrial-wastewater': water('w01018', 'w21003', 'w21011', 'w01001', 'w00000'),
};
