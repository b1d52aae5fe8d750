import type { SourceType } from '../config/registry.js';
import { utcToWallTime } from '../core/local-time.js';
import { profileFor, SOURCE_PROFILES, seasonFactor, type ValueProfile } from './profiles.js';
import { type Rng, streamFor } from './random.js';

/**
 * Pure value generator for one outlet: successive calls give the values at successive data times.
 * All randomness comes from streams keyed by (seed, MN, code), so a gateway's data does not depend on
 * which other gateways run, and adding a code to an outlet does not change the others' values.
 */

export interface OutletGeneratorOptions {
  seed: number;
  mn: string;
  sourceType: SourceType;
  codes: readonly string[];
  /** Simulated seconds between successive calls (sets the AR(1) step). */
  intervalSec: number;
  /** Zone of the site: the daily profile follows local hours. */
  timeZone: string;
}

export interface OutletGenerator {
  /** Values (already rounded to wire precision) at the next data time, which must be `dataTimeMs`. */
  next(dataTimeMs: number): Map<string, number>;
  /** Rounds a value of `code` to its wire precision (scenario arithmetic uses it too). */
  round(code: string, value: number): number;
}

/** Slow load noise: operators change load over hours, not minutes. */
const LOAD_NOISE_SD = 0.08;
const LOAD_NOISE_TAU_MIN = 120;
/** Per-gateway offset of each code inside its band. */
const BIAS_SPAN = 0.2;
const DAY_MS = 86_400_000;

interface Channel {
  code: string;
  profile: ValueProfile;
  rng: Rng;
  phi: number;
  innovationSd: number;
  bias: number;
  state: number;
}

/** AR(1) with stationary sd `sd` sampled every `stepSec`: φ = e^(−step/τ), innovation sd = sd·√(1−φ²). */
function ar1(sd: number, tauMin: number, stepSec: number): { phi: number; innovationSd: number } {
  const phi = Math.exp(-stepSec / (tauMin * 60));
  return { phi, innovationSd: sd * Math.sqrt(1 - phi * phi) };
}

/** Folds x back into [0, 1] (reflection), so values bounce off the band's edges instead of sticking. */
export function reflect01(x: number): number {
  const m = ((x % 2) + 2) % 2;
  return m > 1 ? 2 - m : m;
}

export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  // −0 would serialise as 0 but compare unequal with Object.is; normalise it.
  return r === 0 ? 0 : r;
}

export function createOutletGenerator(opts: OutletGeneratorOptions): OutletGenerator {
  const source = SOURCE_PROFILES[opts.sourceType];
  const loadRng = streamFor(opts.seed, opts.mn, '#load');
  const load = ar1(LOAD_NOISE_SD, LOAD_NOISE_TAU_MIN, opts.intervalSec);
  let loadNoise = LOAD_NOISE_SD * loadRng.normal();

  const channels: Channel[] = opts.codes.map((code) => {
    const profile = profileFor(opts.sourceType, code);
    const rng = streamFor(opts.seed, opts.mn, code);
    const { phi, innovationSd } = ar1(profile.noise, profile.tauMin, opts.intervalSec);
    const bias = (rng.next() - 0.5) * BIAS_SPAN;
    // Start from the stationary distribution so that the first readings are not special.
    return { code, profile, rng, phi, innovationSd, bias, state: profile.noise * rng.normal() };
  });
  const decimals = new Map(channels.map((c) => [c.code, c.profile.decimals]));
  let first = true;

  return {
    round: (code, value) => roundTo(value, decimals.get(code) ?? profileFor(opts.sourceType, code).decimals),
    next(dataTimeMs) {
      const w = utcToWallTime(dataTimeMs, opts.timeZone);
      const hour = w.hour + w.minute / 60 + w.second / 3600;
      const dayOfYear =
        Math.floor((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / DAY_MS) + 1;
      const season = seasonFactor(dayOfYear);
      if (!first) loadNoise = load.phi * loadNoise + load.innovationSd * loadRng.normal();
      const L = Math.min(1, Math.max(0, source.shape(hour) + loadNoise));

      const out = new Map<string, number>();
      for (const c of channels) {
        if (!first) c.state = c.phi * c.state + c.innovationSd * c.rng.normal();
        const pr = c.profile;
        const x = reflect01(0.5 + pr.load * (L - 0.5) + (pr.season ?? 0) * (season - 0.5) + c.bias + c.state);
        out.set(c.code, roundTo(pr.lo + (pr.hi - pr.lo) * x, pr.decimals));
      }
      first = false;
      return out;
    },
  };
}
