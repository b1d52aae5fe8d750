import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One temporary root per run, removed at the end (see the module's comment).
    globalSetup: ['test/support/temp-root.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,config,ingest,alerting,simulator,dashboards,cli}/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          // Integration tests start real servers (influxd, victoria-metrics, mosquitto) on loopback.
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
