import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisioningFiles } from './index.js';

/**
 * `npm run dashboards:build`: writes the Grafana provisioning files generated from dashboards/*.ts into
 * dashboards/provisioning/. Generated JSON is committed (Grafana mounts it as is); a test regenerates
 * it in memory and fails when the committed files are stale.
 */
const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, whether this runs from source (tsx) or compiled (dist/dashboards/build.js). */
const root = basename(dirname(here)) === 'dist' ? dirname(dirname(here)) : dirname(here);
export const PROVISIONING_DIR = join(root, 'dashboards', 'provisioning');

export function writeProvisioning(dir = PROVISIONING_DIR): string[] {
  const files = provisioningFiles();
  // A dashboard removed from the code must not linger as a stale JSON file.
  const dashboardsDir = join(dir, 'dashboards');
  try {
    for (const name of readdirSync(dashboardsDir)) {
      if (name.endsWith('.json') && !files.has(`dashboards/${name}`)) rmSync(join(dashboardsDir, name));
    }
  } catch {
    // no directory yet
  }
  const written: string[] = [];
  for (const [rel, content] of files) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(path);
  }
  return written;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of writeProvisioning()) process.stdout.write(`wrote ${path}\n`);
}
