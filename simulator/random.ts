/**
 * Seeded pseudo-random numbers for the simulator. Every value a virtual gateway produces comes from a
 * stream derived from (seed, MN, purpose), never from a shared generator: the data of one gateway then
 * stays the same whatever other gateways run, in whatever order, and whatever subset is selected.
 * Not for cryptography (passwords of *simulated* devices only).
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (mean 0, sd 1). */
  normal(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

/**
 * 32-bit hash of a list of keys (FNV-1a over UTF-16 code units, with a separator so that
 * ("ab","c") and ("a","bc") differ), finished with a murmur3-style avalanche so that MNs differing in
 * one character give unrelated seeds.
 */
export function hashKeys(...keys: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const key of keys) {
    const s = String(key);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f; // separator between keys
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: tiny, fast, passes the usual statistical batteries well enough for synthetic data. */
export function createRng(seed32: number): Rng {
  let state = seed32 >>> 0;
  // Box–Muller yields two normals per pair of uniforms; keep the second for the next call.
  let spare: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 − u keeps the argument of log in (0, 1].
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty array');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}

/** The stream for one purpose of one gateway, e.g. `streamFor(seed, mn, 'a21026')`. */
export function streamFor(seed: number, ...keys: readonly (string | number)[]): Rng {
  return createRng(hashKeys(seed, ...keys));
}
