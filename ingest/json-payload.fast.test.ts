import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  decodeJsonPayload,
  decodeJsonPayloadWithZod,
  fastDecode,
} from './json-payload.js';
import { KIND_BY_CN } from './reading.js';

/**
 * `decodeJsonPayload` takes a hand-written fast path (`fastDecode`) and falls back to the zod schema;
 * these tests hold it to exactly the results of the zod-only path (`decodeJsonPayloadWithZod`).
 */

const ctx = { mn: 'MN1', timeZone: 'Asia/Shanghai', receivedAt: new Date('2026-01-01T00:00:01Z') };

const TYPICAL =
  '{"st":"31","cn":"2011","dataTime":"2026-01-01T08:00:00+08:00","values":{"a21026":{"rtd":77.88,"flag":"N"},' +
  '"a21002":{"rtd":151.82,"flag":"N"},"a34013":{"rtd":14.89,"flag":"N"},"a19001":{"rtd":10.43,"flag":"N"},' +
  '"a00000":{"rtd":37.51,"flag":"N"},"a01012":{"rtd":57.8,"flag":"N"},"a01011":{"rtd":12.12,"flag":"N"},' +
  '"a01014":{"rtd":10.7,"flag":"N"}}}';

/** Deep equality plus property order (JSON.stringify keeps insertion order; Dates become ISO strings). */
function expectSame(actual: DecodeResult, expected: DecodeResult): void {
  expect(actual).toStrictEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

// --- a tiny JSON builder that can say things plain objects cannot: own "__proto__" keys, duplicate
// keys, and number literals such as 1e999 that JSON.parse turns into Infinity.
class Obj {
  constructor(readonly entries: [string, J][]) {}
}
class Raw {
  constructor(readonly text: string) {}
}
type J = null | boolean | number | string | J[] | Obj | Raw;

function toJson(x: J): string {
  if (x instanceof Obj)
    return `{${x.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (x instanceof Raw) return x.text;
  if (Array.isArray(x)) return `[${x.map(toJson).join(',')}]`;
  return JSON.stringify(x);
}

const EMOJI = '\u{1F600}'; // one code point, two UTF-16 units

const junk: fc.Arbitrary<J> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 5 }),
  fc.constant([] as J[]),
  fc.constant(new Obj([])),
);

/** Mostly `valid`, sometimes `invalid` (near-valid documents: one bad field among good ones). */
function mostly(valid: fc.Arbitrary<J>, invalid: fc.Arbitrary<J>, validWeight = 12): fc.Arbitrary<J> {
  return fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

const num: fc.Arbitrary<J> = mostly(
  fc.oneof(
    { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 3, arbitrary: fc.integer({ min: -5, max: 5000 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        new Raw('1e308'),
        new Raw('-0'),
        new Raw('5e-324'),
        new Raw('1.7976931348623157e308'),
        new Raw('123456789012345678901234567890'),
      ),
    },
  ),
  fc.oneof(fc.constantFrom<J>(new Raw('1e999'), new Raw('-1e999'), '12.3', 'NaN'), junk),
);

/** Strings around a length limit, in UTF-16 units and in code points (zod counts code points). */
function edgeString(limit: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 0, max: limit + 2 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 0, max: limit + 2 }).map((n) => EMOJI.repeat(n)),
    fc.integer({ min: 0, max: limit }).map((n) => `${'y'.repeat(n)}\ud800`),
  );
}

const flag: fc.Arbitrary<J> = mostly(
  fc.stringMatching(/^[A-Za-z0-9]{1,4}$/),
  fc.oneof(fc.constantFrom('', 'NNNNN', 'n_', 'é', 'N\n', ' N', EMOJI), fc.string({ maxLength: 6 }), junk),
  8,
);

const times = ['20261123092000', '2026-11-23T10:00:00+08:00', '2026-11-23 10:00', '2026-11-23T02:00:00.5Z'];
const badTimes = ['soon', '2026-02-30T10:00:00', '20261323000000', '2026-11-23T25:00:00+08:00'];
const time: fc.Arbitrary<J> = mostly(
  fc.constantFrom(...times),
  fc.oneof(fc.constantFrom(...badTimes), junk),
  8,
);

/** An object from optional entries (undefined = absent), sometimes extra keys, in random order. */
function object(fields: fc.Arbitrary<[string, J] | undefined>[], extraKeys: string[]): fc.Arbitrary<Obj> {
  const extra = fc.array(fc.tuple(fc.constantFrom(...extraKeys), junk), { minLength: 1, maxLength: 2 });
  return fc
    .tuple(
      fc.tuple(...fields),
      fc.oneof({ weight: 30, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extra }),
    )
    .map(([fs, ex]) => [...fs.filter((f): f is [string, J] => f !== undefined), ...ex])
    .chain((entries) => fc.shuffledSubarray(entries, { minLength: entries.length }))
    .map((entries) => new Obj(entries));
}

/** `key: arb` present with probability `presence`. */
function field(key: string, arb: fc.Arbitrary<J>, presence: number): fc.Arbitrary<[string, J] | undefined> {
  const present = Math.round(presence * 100);
  return fc.oneof(
    { weight: 100 - present, arbitrary: fc.constant(undefined) },
    { weight: present, arbitrary: arb.map((v): [string, J] => [key, v]) },
  );
}

const NUM_FIELDS = ['rtd', 'avg', 'min', 'max', 'zsRtd', 'zsAvg', 'zsMin', 'zsMax', 'cou', 'rs', 'rt'];

const valueObject: fc.Arbitrary<J> = mostly(
  object(
    [
      ...NUM_FIELDS.map((k) => field(k, num, k === 'rtd' ? 0.7 : 0.12)),
      field('flag', flag, 0.6),
      field('eflag', mostly(edgeString(8), junk, 4), 0.08),
      field('sampleTime', time, 0.1),
    ],
    ['foo', '__proto__', 'constructor', 'Rtd', 'code', 'toString'],
  ),
  junk,
  30,
);

const code: fc.Arbitrary<string> = fc.oneof(
  { weight: 20, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_]{0,15}$/) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'a21026',
      'w01018',
      '0',
      '1',
      '42',
      '007',
      '4294967294',
      '4294967295',
      'constructor',
      'toString',
      'hasOwnProperty',
      'a'.repeat(16),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('__proto__', 'a-1', '', 'a'.repeat(17), '_a', 'a21026\n', ' a1'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 18 }) },
);

const values: fc.Arbitrary<J> = mostly(
  fc.array(fc.tuple(code, valueObject), { minLength: 0, maxLength: 4 }).map((entries) => new Obj(entries)),
  junk,
  30,
);

const documentText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 30,
    arbitrary: object(
      [
        field(
          'st',
          mostly(
            fc.oneof(fc.constantFrom('31', '32', '22', 'ABC'), fc.stringMatching(/^[0-9A-Z]{2,3}$/)),
            fc.oneof(fc.constantFrom<J>('3', '3100', 'a1', '31 ', 31), junk),
            20,
          ),
          0.98,
        ),
        field(
          'cn',
          mostly(
            fc.constantFrom(...Object.keys(KIND_BY_CN)),
            fc.oneof(fc.constantFrom<J>('9999', 2011, 'constructor', '__proto__'), junk),
            20,
          ),
          0.98,
        ),
        field('dataTime', mostly(time, fc.oneof(edgeString(40), edgeString(8)), 6), 0.98),
        field('qn', mostly(fc.string({ maxLength: 20 }), fc.oneof(edgeString(20), junk), 3), 0.3),
        field('values', values, 0.98),
      ],
      ['foo', '__proto__', 'QN', 'mn', 'toString'],
    ).map(toJson),
  },
  { weight: 1, arbitrary: junk.map(toJson) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"st":', 'nul', '{"a":1,}') },
);

describe('JSON payload fast path', () => {
  it('is taken for a typical payload and builds what the zod path builds', () => {
    const reading = fastDecode(JSON.parse(TYPICAL), ctx);
    expect(reading).toBeDefined();
    expectSame({ ok: true, reading: reading! }, decodeJsonPayloadWithZod(TYPICAL, ctx));
    expectSame(decodeJsonPayload(TYPICAL, ctx), decodeJsonPayloadWithZod(TYPICAL, ctx));
  });

  it('orders value fields like the zod path: schema order, sampleTime last', () => {
    const text =
      '{"st":"31","cn":"2061","dataTime":"20261123090000","values":{"w01018":' +
      '{"sampleTime":"20261123092000","rt":2,"eflag":"x","flag":"N","cou":3,"zsMax":1,"max":22,"avg":20}}}';
    const reading = fastDecode(JSON.parse(text), ctx);
    expect(Object.keys(reading?.values[0] ?? {})).toEqual([
      'code',
      'avg',
      'max',
      'zsMax',
      'cou',
      'flag',
      'eflag',
      'rt',
      'sampleTime',
    ]);
    expectSame(decodeJsonPayload(text, ctx), decodeJsonPayloadWithZod(text, ctx));
  });

  it('orders integer-like codes first, as JS objects (and so the zod path) do', () => {
    const text =
      '{"st":"31","cn":"2011","dataTime":"20261123090000","values":' +
      '{"a1":{"rtd":1},"2":{"rtd":2},"1":{"rtd":3},"4294967295":{"rtd":4},"4294967294":{"rtd":5}}}';
    const r = decodeJsonPayload(text, ctx);
    expect(r.ok && r.reading.values.map((v) => v.code)).toEqual(['1', '2', '4294967294', 'a1', '4294967295']);
    expect(fastDecode(JSON.parse(text), ctx)).toBeDefined();
    expectSame(r, decodeJsonPayloadWithZod(text, ctx));
  });

  it.each([
    // zod skips a "__proto__" record key without validating it; the fast path leaves that to zod.
    ['__proto__ among values is dropped', '{"__proto__":"junk","a21026":{"rtd":2}}', true],
    ['__proto__ as the only value', '{"__proto__":{"rtd":1}}', false],
    ['__proto__ inside a value', '{"a21026":{"rtd":2,"__proto__":{}}}', false],
    // zod counts string lengths in code points: 8 emoji are 16 UTF-16 units but a valid eflag.
    ['eflag of 8 code points in 16 units', `{"a1":{"eflag":"${EMOJI.repeat(8)}"}}`, true],
    ['eflag of 9 code points', `{"a1":{"eflag":"${EMOJI.repeat(9)}"}}`, false],
  ])('leaves %s to zod', (_name, valuesJson, ok) => {
    const text = `{"st":"31","cn":"2011","dataTime":"2026-01-01T08:00:00+08:00","values":${valuesJson}}`;
    expect(fastDecode(JSON.parse(text), ctx)).toBeUndefined();
    const r = decodeJsonPayload(text, ctx);
    expect(r.ok).toBe(ok);
    expectSame(r, decodeJsonPayloadWithZod(text, ctx));
  });

  it('rejects a top-level __proto__ key like zod', () => {
    const text =
      '{"st":"31","cn":"2011","dataTime":"20261123090000","__proto__":{},"values":{"a1":{"rtd":1}}}';
    expect(fastDecode(JSON.parse(text), ctx)).toBeUndefined();
    expect(decodeJsonPayload(text, ctx)).toEqual({
      ok: false,
      code: 'ING_PAYLOAD_INVALID',
      reason: '(root): Unrecognized key: "__proto__"',
    });
  });

  it('gives exactly the zod-only results for valid and near-valid documents', () => {
    let zodAccepted = 0;
    let fastAccepted = 0;
    fc.assert(
      fc.property(
        documentText,
        fc.constantFrom<'mqtt-json' | 'hj212-tcp' | undefined>(undefined, 'hj212-tcp'),
        (text, source) => {
          const c = source ? { ...ctx, source } : ctx;
          const expected = decodeJsonPayloadWithZod(text, c);
          expectSame(decodeJsonPayload(text, c), expected);
          expectSame(decodeJsonPayload(Buffer.from(text, 'utf8'), c), expected);
          if (expected.ok) zodAccepted++;
          let doc: unknown;
          try {
            doc = JSON.parse(text);
          } catch {
            return;
          }
          const fast = fastDecode(doc, c);
          if (fast) {
            fastAccepted++;
            expectSame({ ok: true, reading: fast }, expected);
          } else if (expected.ok) {
            // The fast path may only decline what zod accepts for reasons it deliberately leaves to zod.
            expect(text).toMatch(/__proto__|[\ud800-\udfff]|\\ud[89a-f]/i);
          }
        },
      ),
      { numRuns: 3000 },
    );
    // The generator must reach the interesting part of the space: plenty of valid documents.
    expect(zodAccepted).toBeGreaterThan(300);
    expect(fastAccepted).toBeGreaterThan(zodAccepted * 0.7);
  });
});
