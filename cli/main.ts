import { Command, Option } from 'commander';
import { loadAppConfig } from '../config/app-config.js';
import { systemClock } from '../core/clock.js';
import { isPipelineError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { dashboardsCommand } from '../dashboards/cli.js';
import { runDemo } from './demo.js';
import { startService } from './serve.js';
import { onShutdownSignal } from './signals.js';
import { runSimulateCommand, simulateOptions } from './simulate.js';

/**
 * The `emissions` CLI and the process's only reader of `process.env` (DESIGN.md §3.1): it validates
 * config, builds the root logger and hands both to the commands.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const env = process.env;
  const program = new Command('emissions')
    .description('污染源自动监控 ingest and alerting pipeline (HJ 212 / MQTT → InfluxDB → alarms, Grafana)')
    .showHelpAfterError();

  program
    .command('serve')
    .description(
      'run the pipeline: MQTT broker for gateways, InfluxDB writer, HTTP (/healthz /readyz /metrics). ' +
        'Configured by environment variables (see README "Configuration"); EMISSIONS_CONFIG_FILE names an optional YAML file.',
    )
    .action(async () => {
      const config = loadAppConfig(env);
      const log = createLogger({ level: config.log.level });
      const service = await startService(config, { log, clock: systemClock });
      onShutdownSignal(
        log,
        config.shutdownDeadlineMs,
        async () => {
          // Points left in a durable spool are replayed on the next start: that is a clean stop.
          const { unwritten, durable } = await service.stop();
          return unwritten > 0 && !durable ? 1 : 0;
        },
        (code) => {
          log.flush();
          process.exit(code);
        },
      );
    });

  const simulate = program
    .command('simulate')
    .description('run virtual gateways (数采仪) for the outlets of a registry file, publishing to a broker');
  for (const option of simulateOptions()) simulate.addOption(option);
  simulate.action(async (opts: Record<string, string | undefined>) => {
    const log = createLogger({ level: env.LOG_LEVEL ?? 'info' });
    process.exitCode = await runSimulateCommand(opts, { log });
  });

  program
    .command('demo')
    .description(
      'start a throw-away local InfluxDB (Debian influxd), `serve`, and the simulator feeding it; print where to look',
    )
    .addOption(new Option('--registry <file>', 'site registry').default('config/examples/park.yaml'))
    .addOption(new Option('--dir <dir>', 'working directory for InfluxDB data and logs').default('.demo'))
    .addOption(new Option('--http-port <port>', 'HTTP port').default('8080'))
    .addOption(new Option('--mqtt-port <port>', 'MQTT port').default('1883'))
    .addOption(new Option('--hj212-port <port>', 'HJ 212 TCP port').default('9212'))
    .addOption(
      new Option('--backfill <d>', 'simulated history before now, sent at once (e.g. 6h, 2d)').default('6h'),
    )
    .action(async (opts: Record<string, string | undefined>) => {
      process.exitCode = await runDemo(opts, env);
    });

  // Grafana: `dashboards build` (provisioning files) and `dashboards push --url --token` (a site's own Grafana).
  program.addCommand(dashboardsCommand({ grafanaToken: env.GRAFANA_TOKEN, influxToken: env.INFLUX_TOKEN }));

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (isPipelineError(err) && err.code.startsWith('CFG_')) {
      process.stderr.write(`emissions: ${err.code}: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
