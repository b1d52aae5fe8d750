import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SOURCE_TYPES } from '../../config/registry.js';
import { formatIssues } from '../../config/zod-issues.js';
import { errorMessage, PipelineError } from '../../core/errors.js';
import { conversionFactor } from './units.js';

/**
 * The standards library: emission limit sets as versioned YAML data under config/standards/, one file
 * per standard, loaded and validated once (regulations.md R11: limits are data, not code constants).
 * Every value carries its clause and a confidence mark (V/S/C/U, regulations.md legend), so an
 * unverified value is visible wherever it is shown (API /limits, messages).
 */

export const CONFIDENCE = ['V', 'S', 'C', 'U'] as const;
export type Confidence = (typeof CONFIDENCE)[number];

const Code = z.string().regex(/^[a-z][0-9a-z]{2,7}$/, 'an HJ 212-2017 code such as a21026');

const LimitEntry = z
  .strictObject({
    code: Code,
    max: z.number().positive().optional(),
    min: z.number().optional(),
    unit: z.string().min(1),
    clause: z.string().min(1),
    confidence: z.enum(CONFIDENCE),
    source: z.string().optional(),
    /** hour = judged on hourly means (flue gas, HJ 76); day = daily means (wastewater, GB 18918 §4.1.4.2). */
    averaging: z.enum(['hour', 'day']).optional(),
    /** GB 18918-2002 表1: NH3-N limit when water temperature (w01010) ≤ atOrBelowC. */
    coldWater: z.strictObject({ max: z.number().positive(), atOrBelowC: z.number() }).optional(),
  })
  .refine((l) => l.max !== undefined || l.min !== undefined, 'needs max and/or min');

const Ref = z.strictObject({
  value: z.number().min(0).lt(21),
  clause: z.string().min(1),
  confidence: z.enum(CONFIDENCE),
  source: z.string().optional(),
});

const LimitSetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9./-]*$/, 'lower-case id such as gb13271-2014/new/gas'),
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
  referenceO2: Ref.optional(),
  limits: z.array(LimitEntry).min(1),
});

const StandardFile = z.strictObject({
  version: z.literal(1),
  standard: z.string().min(1),
  titleZh: z.string().min(1),
  titleEn: z.string().min(1),
  medium: z.enum(['gas', 'water']),
  sets: z.array(LimitSetSchema).min(1),
});

const DefaultsFile = z.strictObject({
  version: z.literal(1),
  bySourceType: z.partialRecord(z.enum(SOURCE_TYPES), z.string()),
});

export type LimitEntry = z.infer<typeof LimitEntry>;

export interface LimitSet extends z.infer<typeof LimitSetSchema> {
  standard: string;
  titleZh: string;
  titleEn: string;
  medium: 'gas' | 'water';
}

export interface StandardsLibrary {
  readonly sets: ReadonlyMap<string, LimitSet>;
  /** Limit set id by registry source type. */
  readonly defaults: Readonly<Partial<Record<(typeof SOURCE_TYPES)[number], string>>>;
  get(id: string): LimitSet | undefined;
}

export const DEFAULTS_FILE = 'defaults.yaml';

/** Builds the library from parsed documents (file name → document); throws one error listing every issue. */
export function buildStandardsLibrary(docs: ReadonlyMap<string, unknown>): StandardsLibrary {
  const issues: string[] = [];
  const sets = new Map<string, LimitSet>();
  let defaults: StandardsLibrary['defaults'] = {};
  for (const [name, doc] of docs) {
    if (name === DEFAULTS_FILE) {
      const parsed = DefaultsFile.safeParse(doc);
      if (parsed.success) defaults = parsed.data.bySourceType;
      else issues.push(...formatIssues(parsed.error, name));
      continue;
    }
    const parsed = StandardFile.safeParse(doc);
    if (!parsed.success) {
      issues.push(...formatIssues(parsed.error, name));
      continue;
    }
    const { standard, titleZh, titleEn, medium } = parsed.data;
    parsed.data.sets.forEach((set, i) => {
      if (sets.has(set.id)) issues.push(`${name}.sets.${i}.id: duplicate limit set "${set.id}"`);
      const codes = new Set<string>();
      set.limits.forEach((l, j) => {
        if (codes.has(l.code)) issues.push(`${name}.sets.${i}.limits.${j}: duplicate code ${l.code}`);
        codes.add(l.code);
        if (l.min !== undefined && l.max !== undefined && l.min >= l.max)
          issues.push(`${name}.sets.${i}.limits.${j}: min must be below max`);
        if (l.coldWater && l.code !== 'w21003')
          issues.push(`${name}.sets.${i}.limits.${j}: coldWater applies to NH3-N (w21003) only`);
        if (conversionFactor(l.unit, l.unit) === undefined)
          issues.push(`${name}.sets.${i}.limits.${j}: unit "${l.unit}" not understood`);
      });
      sets.set(set.id, { ...set, standard, titleZh, titleEn, medium });
    });
  }
  for (const [sourceType, id] of Object.entries(defaults)) {
    if (id !== undefined && !sets.has(id))
      issues.push(`${DEFAULTS_FILE}.bySourceType.${sourceType}: unknown limit set "${id}"`);
  }
  if (issues.length > 0) {
    throw new PipelineError(
      'ALR_STANDARDS_INVALID',
      `standards library is invalid:\n  ${issues.join('\n  ')}`,
      {
        issues,
      },
    );
  }
  return { sets, defaults, get: (id) => sets.get(id) };
}

/** Loads every *.yaml/*.yml in `dir`. */
export function loadStandardsLibrary(dir: string): StandardsLibrary {
  const docs = new Map<string, unknown>();
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (err) {
    throw new PipelineError(
      'ALR_STANDARDS_INVALID',
      `cannot read standards directory ${dir}: ${errorMessage(err)}`,
    );
  }
  for (const file of files) {
    try {
      docs.set(file, parseYaml(readFileSync(join(dir, file), 'utf8')));
    } catch (err) {
      throw new PipelineError(
        'ALR_STANDARDS_INVALID',
        `cannot parse ${join(dir, file)}: ${errorMessage(err)}`,
      );
    }
  }
  return buildStandardsLibrary(docs);
}
