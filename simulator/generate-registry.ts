import type { RegistryEnterprise, RegistryFile, RegistryOutlet, SourceType } from '../config/registry.js';
import { DEFAULT_POLLUTANTS, SOURCE_MEDIUM } from './profiles.js';
import { hashKeys, type Rng, streamFor } from './random.js';

/**
 * Synthetic site registries for tests and load runs (up to 10 000 gateways): a plausible mix of
 * enterprises of a Chinese industrial city, each with the outlets such a plant has. Deterministic for
 * (gateways, seed). Outputs pass parseRegistry: unique ids, unique 24-hex-digit MNs, 8-char passwords.
 */

export interface GenerateRegistryOptions {
  /** Number of outlets (one gateway each). */
  gateways: number;
  seed?: number;
  timeZone?: string;
}

interface OutletPlan {
  sourceType: SourceType;
  name: string;
}

interface EnterpriseTemplate {
  slug: string;
  /** Relative frequency in a typical prefecture-level city's key-polluter list. */
  weight: number;
  industry: string;
  name: (rng: Rng, place: string) => string | { name: string; industry: string };
  outlets: (rng: Rng) => OutletPlan[];
}

const PLACES = [
  '滨江',
  '临港',
  '东湖',
  '西山',
  '南浔',
  '北仑',
  '青浦',
  '江宁',
  '萧山',
  '武进',
  '昆山',
  '海宁',
  '柯桥',
  '嘉善',
  '丹阳',
  '溧阳',
  '如皋',
  '泰兴',
  '句容',
  '长兴',
  '德清',
  '桐乡',
  '平湖',
  '江阴',
  '宜兴',
  '常熟',
  '太仓',
  '靖江',
  '仪征',
  '高邮',
];
const BRANDS = [
  '华能',
  '大唐',
  '国电',
  '华润',
  '海螺',
  '中联',
  '金隅',
  '光大',
  '恒逸',
  '荣盛',
  '永泰',
  '宏达',
  '鑫源',
  '瑞丰',
  '天成',
  '金龙',
  '正泰',
  '东方',
  '华兴',
  '信达',
  '远大',
  '龙盛',
  '众合',
  '新安',
  '联创',
  '博源',
  '嘉润',
  '力源',
  '通达',
  '盛虹',
];
const PARK_SUFFIXES = ['经济开发区', '高新技术产业开发区', '化工园区', '工业园区'];
const CHEM_TRADES = [
  { industry: '化工', word: '精细化工' },
  { industry: '印染', word: '纺织印染' },
  { industry: '制药', word: '生物制药' },
  { industry: '食品', word: '食品' },
  { industry: '造纸', word: '纸业' },
  { industry: '电镀', word: '表面处理' },
];

const numbered = (n: number, what: string): OutletPlan['name'] => `${n}号${what}`;
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i + 1));

const TEMPLATES: readonly EnterpriseTemplate[] = [
  {
    slug: 'power',
    weight: 5,
    industry: '火电',
    name: (rng, place) => `${rng.pick(BRANDS)}${place}热电有限公司`,
    outlets: (rng) =>
      times(rng.int(1, 2), (i) => ({ sourceType: 'coal-power', name: numbered(i, '机组烟囱') })),
  },
  {
    slug: 'heat',
    weight: 8,
    industry: '热力供应',
    name: (rng, place) => `${place}${rng.pick(BRANDS)}热力有限公司`,
    outlets: (rng) =>
      times(rng.int(1, 2), (i) => ({ sourceType: 'coal-boiler', name: numbered(i, '燃煤锅炉排气筒') })),
  },
  {
    slug: 'gas',
    weight: 16,
    industry: '热力供应',
    name: (rng, place) => `${place}${rng.pick(BRANDS)}能源有限公司`,
    outlets: (rng) =>
      times(rng.int(1, 3), (i) => ({ sourceType: 'gas-boiler', name: numbered(i, '燃气锅炉排气筒') })),
  },
  {
    slug: 'oil',
    weight: 2,
    industry: '船舶修造',
    name: (rng, place) => `${place}${rng.pick(BRANDS)}船舶修造有限公司`,
    outlets: () => [{ sourceType: 'oil-boiler', name: '燃油锅炉排气筒' }],
  },
  {
    slug: 'cement',
    weight: 5,
    industry: '水泥',
    name: (rng, place) => `${place}${rng.pick(BRANDS)}水泥有限公司`,
    outlets: (rng) => [
      { sourceType: 'cement-kiln', name: '窑尾排气筒' },
      ...times(rng.int(1, 2), (i) => ({
        sourceType: 'cement-grinding' as const,
        name: numbered(i, '水泥磨排气筒'),
      })),
    ],
  },
  {
    slug: 'msw',
    weight: 3,
    industry: '垃圾焚烧',
    name: (rng, place) => `${place}${rng.pick(BRANDS)}环保能源有限公司`,
    outlets: (rng) =>
      times(rng.int(1, 3), (i) => ({ sourceType: 'incinerator', name: numbered(i, '焚烧线烟囱') })),
  },
  {
    slug: 'wwtp',
    weight: 12,
    industry: '污水处理',
    name: (rng, place) => `${place}${rng.pick(['城东', '城西', '城南', '城北', '开发区', '临江'])}污水处理厂`,
    outlets: () => [{ sourceType: 'municipal-wwtp', name: '总排口' }],
  },
  {
    slug: 'chem',
    weight: 25,
    industry: '化工',
    name: (rng, place) => {
      const trade = rng.pick(CHEM_TRADES);
      return { name: `${place}${rng.pick(BRANDS)}${trade.word}有限公司`, industry: trade.industry };
    },
    outlets: (rng) => [
      { sourceType: 'industrial-wastewater', name: '废水总排口' },
      ...(rng.next() < 0.5 ? [{ sourceType: 'gas-boiler' as const, name: '导热油炉排气筒' }] : []),
    ],
  },
];
const TOTAL_WEIGHT = TEMPLATES.reduce((s, t) => s + t.weight, 0);

function pickTemplate(rng: Rng): EnterpriseTemplate {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const t of TEMPLATES) {
    r -= t.weight;
    if (r < 0) return t;
  }
  return TEMPLATES[TEMPLATES.length - 1] as EnterpriseTemplate;
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
const SOURCE_CODE: Readonly<Record<SourceType, string>> = {
  'coal-power': '01',
  'coal-boiler': '02',
  'gas-boiler': '03',
  'oil-boiler': '04',
  'cement-kiln': '05',
  'cement-grinding': '06',
  incinerator: '07',
  'municipal-wwtp': '08',
  'industrial-wastewater': '09',
};

export function generateRegistry(opts: GenerateRegistryOptions): RegistryFile {
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(opts.gateways) || opts.gateways < 1) {
    throw new RangeError('generateRegistry: gateways must be a positive integer');
  }
  const rng = streamFor(seed, '#registry');
  // MN = 8-hex prefix of the seed · 2-digit source type · 14-hex outlet index: unique by construction.
  const prefix = hashKeys(seed, '#mn').toString(16).toUpperCase().padStart(8, '0');
  const usedNames = new Map<string, number>();
  const enterprises: RegistryEnterprise[] = [];
  let outletCount = 0;

  for (let e = 1; outletCount < opts.gateways; e++) {
    const t = pickTemplate(rng);
    const place = rng.pick(PLACES);
    const named = t.name(rng, place);
    let name = typeof named === 'string' ? named : named.name;
    const industry = typeof named === 'string' ? t.industry : named.industry;
    const seen = usedNames.get(name) ?? 0;
    usedNames.set(name, seen + 1);
    if (seen > 0) name = `${name}（${seen + 1}厂区）`;
    const id = `e${String(e).padStart(5, '0')}-${t.slug}`;
    const plans = t.outlets(rng).slice(0, opts.gateways - outletCount);
    const outlets: RegistryOutlet[] = plans.map((plan, i) => {
      outletCount++;
      const mn = `${prefix}${SOURCE_CODE[plan.sourceType]}${outletCount.toString(16).toUpperCase().padStart(14, '0')}`;
      const password = Array.from({ length: 8 }, () => rng.pick([...PASSWORD_ALPHABET])).join('');
      return {
        id: `${id}-${i + 1}`,
        name: plan.name,
        medium: SOURCE_MEDIUM[plan.sourceType],
        sourceType: plan.sourceType,
        gateway: { mn, password, protocol: 'json-mqtt' },
        pollutants: DEFAULT_POLLUTANTS[plan.sourceType].map((p) => ({ ...p })),
      };
    });
    enterprises.push({
      id,
      name,
      region: `${place}${rng.pick(PARK_SUFFIXES)}`,
      industry,
      outlets,
    });
  }
  return { version: 1, timeZone: opts.timeZone ?? 'Asia/Shanghai', enterprises };
}
