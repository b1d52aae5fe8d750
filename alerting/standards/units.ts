/**
 * Explicit unit conversion for concentrations and flows (issue: "μg/L vs mg/L"). Units are written as
 * the registry writes them (mg/m3, ug/L, μg/L, ng/m3 …). Only mass-per-volume with the same volume base
 * converts; anything else (ppm, %, 无量纲) converts only to itself. Returns undefined when impossible.
 */
const MASS: Readonly<Record<string, number>> = { ng: 1e-6, ug: 1e-3, μg: 1e-3, µg: 1e-3, mg: 1, g: 1e3 };
const VOLUME: Readonly<Record<string, string>> = { l: 'L', m3: 'm3', 'm³': 'm3' };

interface Parsed {
  factorToMg: number;
  per: string;
}

function parse(unit: string): Parsed | undefined {
  const m = /^\s*(ng|ug|μg|µg|mg|g)\s*\/\s*(l|m3|m³)\s*$/i.exec(unit);
  if (!m) return undefined;
  const mass = MASS[(m[1] as string).toLowerCase()];
  const per = VOLUME[(m[2] as string).toLowerCase()];
  if (mass === undefined || per === undefined) return undefined;
  return { factorToMg: mass, per };
}

export function normalizeUnit(unit: string): string {
  const p = parse(unit);
  if (!p) return unit.trim();
  const mass = Object.entries(MASS).find(([, f]) => f === p.factorToMg)?.[0] ?? 'mg';
  return `${mass === 'μg' || mass === 'µg' ? 'ug' : mass}/${p.per}`;
}

/** Factor f such that value_in_to = value_in_from × f, or undefined when the units are incompatible. */
export function conversionFactor(from: string, to: string): number | undefined {
  if (from.trim() === to.trim()) return 1;
  const a = parse(from);
  const b = parse(to);
  if (!a || !b) return undefined;
  if (a.per !== b.per) return undefined;
  return a.factorToMg / b.factorToMg;
}

export function convert(value: number, from: string, to: string): number | undefined {
  const f = conversionFactor(from, to);
  return f === undefined ? undefined : value * f;
}

/** Flow → m3/h. HJ 212: flue-gas flow a00000 in m3/s, wastewater w00000 in L/s (regulations.md §8). */
export function flowToM3PerHour(value: number, unit: string): number | undefined {
  switch (unit.trim().toLowerCase()) {
    case 'm3/s':
    case 'm³/s':
      return value * 3600;
    case 'm3/h':
    case 'm³/h':
      return value;
    case 'l/s':
      return value * 3.6;
    case 'm3/d':
    case 'm³/d':
      return value / 24;
    default:
      return undefined;
  }
}

/** Mass per volume (mg/m3, ug/L …): the values 折算 and load apply to. */
export function isConcentrationUnit(unit: string): boolean {
  return parse(unit) !== undefined;
}

/** Concentration → mg/m3 (1 mg/L = 1000 mg/m3), for load = C × Q. */
export function toMgPerM3(value: number, unit: string): number | undefined {
  const p = parse(unit);
  if (!p) return undefined;
  return value * p.factorToMg * (p.per === 'L' ? 1000 : 1);
}
