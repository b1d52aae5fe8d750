import type { z } from 'zod';
import type { RegistryFile } from '../../config/registry.js';

/**
 * A registry document of one enterprise whose outlets are coal-fired boilers measuring SO₂ (limit
 * 35 mg/m³, a local standard) and O₂: the smallest site on which the alerting tests judge hourly 折算
 * exceedances. Every gateway's password is `secret-pw`.
 */
export function boilerRegistryDoc(
  enterprise: { id: string; name: string; region: string },
  outlets: ReadonlyArray<{ id: string; name: string; mn: string }>,
): z.input<typeof RegistryFile> {
  return {
    version: 1,
    enterprises: [
      {
        ...enterprise,
        outlets: outlets.map((o) => ({
          id: o.id,
          name: o.name,
          medium: 'gas',
          sourceType: 'coal-boiler',
          limits: [{ code: 'a21026', max: 35, unit: 'mg/m3', source: '地方标准' }],
          gateway: { mn: o.mn, password: 'secret-pw' },
          pollutants: [
            { code: 'a21026', unit: 'mg/m3' },
            { code: 'a19001', unit: '%' },
          ],
        })),
      },
    ],
  };
}
