/**
 * Vitest global setup: every test run gets its own temporary root, removed when the run ends.
 *
 * Tests and the processes they start (influxd, victoria-metrics, mosquitto, serve) create their
 * throw-away directories with `mkdtemp(join(tmpdir(), …))`. Pointing TMPDIR at one root per run,
 * before any worker starts, lets `os.tmpdir()` in workers and child processes land there, so a run
 * leaves nothing behind in /tmp without every test having to remember its own clean-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'emissions-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
