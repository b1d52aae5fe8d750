import type { GatewayProtocol, RegistryFile } from '../../config/registry.js';
import { generateRegistry } from '../../simulator/generate-registry.js';
import { DEFAULT_POLLUTANTS, SOURCE_MEDIUM } from '../../simulator/profiles.js';

/**
 * Registries for the benchmarks: the simulator's realistic generated park, with every outlet turned
 * into one that reports 8 pollutants (a coal-fired boiler's CEMS: SO2, NOx, dust, O2, flow, temperature,
 * velocity, humidity), so "8 values per reading" holds exactly. Names, ids, MNs and the Chinese tags stay
 * as generated (the point layout under test is the production one).
 *
 * `withProbe` adds one extra outlet used only by the latency probe (bench/lib/probe.ts): `serve` gets the
 * registry with it, the simulator the one without, so the probe's readings are its own.
 */
export const PROBE_MN = '88888800000000000000FFFF';
export const PROBE_PASSWORD = 'probe-pw-1';

const EIGHT = 'coal-boiler' as const;

export function benchRegistry(
  gateways: number,
  protocol: GatewayProtocol = 'json-mqtt',
): { simulator: RegistryFile; serve: RegistryFile } {
  const reg = generateRegistry({ gateways, seed: 1 });
  for (const e of reg.enterprises) {
    for (const o of e.outlets) {
      o.sourceType = EIGHT;
      o.medium = SOURCE_MEDIUM[EIGHT];
      o.pollutants = DEFAULT_POLLUTANTS[EIGHT].map((p) => ({ ...p }));
      o.gateway.protocol = protocol;
    }
  }
  const serve = structuredClone(reg);
  serve.enterprises.push({
    id: 'bench-probe',
    name: '基准测试探针企业',
    region: '基准园区',
    industry: '火电',
    outlets: [
      {
        id: 'bench-probe-outlet',
        name: '探针排口',
        medium: 'gas',
        sourceType: EIGHT,
        gateway: { mn: PROBE_MN, password: PROBE_PASSWORD, protocol: 'json-mqtt' },
        pollutants: DEFAULT_POLLUTANTS[EIGHT].map((p) => ({ ...p })),
      },
    ],
  } as RegistryFile['enterprises'][number]);
  return { simulator: reg, serve };
}

export const PROBE_CODES: readonly string[] = DEFAULT_POLLUTANTS[EIGHT].map((p) => p.code);
