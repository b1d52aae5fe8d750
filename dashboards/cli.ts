import { Command, Option } from 'commander';
import { PROVISIONING_DIR, writeProvisioning } from './build.js';
import { FOLDER_UID } from './datasource.js';
import { createGrafanaClient } from './grafana-client.js';
import { pushDashboards } from './push.js';

/**
 * `emissions dashboards build|push`. Secrets arrive from the composition root (cli/main.ts reads the
 * environment); an explicit option wins over the environment.
 */
export interface DashboardsCommandDeps {
  /** GRAFANA_TOKEN from the environment. */
  grafanaToken?: string;
  /** INFLUX_TOKEN from the environment (for the datasource Grafana will use). */
  influxToken?: string;
  out?: (line: string) => void;
}

export function dashboardsCommand(deps: DashboardsCommandDeps = {}): Command {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const cmd = new Command('dashboards').description(
    'Grafana 看板：生成文件方式的配置（provisioning）或推送到已有的 Grafana',
  );

  cmd
    .command('build')
    .description('regenerate dashboards/provisioning/ from dashboards/*.ts (the JSON is committed)')
    .addOption(new Option('--out <dir>', 'provisioning directory').default(PROVISIONING_DIR))
    .action((opts: { out: string }) => {
      for (const path of writeProvisioning(opts.out)) out(`wrote ${path}`);
    });

  cmd
    .command('push')
    .description(
      'upsert the folder, the InfluxDB datasource (optional) and every dashboard into a running Grafana',
    )
    .requiredOption('--url <url>', 'Grafana root URL, e.g. http://grafana.bureau.local:3000')
    .addOption(new Option('--token <token>', 'service-account token (default: env GRAFANA_TOKEN)'))
    .addOption(new Option('--folder-uid <uid>', 'folder uid').default(FOLDER_UID))
    .addOption(
      new Option(
        '--datasource-url <url>',
        'also upsert the InfluxDB datasource, at this URL as Grafana reaches it',
      ),
    )
    .addOption(
      new Option('--datasource-db <db>', 'InfluxDB 1.x database or 2.x DBRP database name').default(
        'emissions',
      ),
    )
    .addOption(
      new Option(
        '--influx-token <token>',
        'InfluxDB 2.x/3.x token for the datasource (default: env INFLUX_TOKEN)',
      ),
    )
    .action(
      async (opts: {
        url: string;
        token?: string;
        folderUid: string;
        datasourceUrl?: string;
        datasourceDb: string;
        influxToken?: string;
      }) => {
        const token = opts.token ?? deps.grafanaToken;
        if (!token)
          throw new Error(
            'dashboards push: give --token or set GRAFANA_TOKEN (a Grafana service-account token)',
          );
        const client = createGrafanaClient({ url: opts.url, token });
        const influxToken = opts.influxToken ?? deps.influxToken;
        const result = await pushDashboards(client, {
          folderUid: opts.folderUid,
          ...(opts.datasourceUrl
            ? {
                datasource: {
                  url: opts.datasourceUrl,
                  db: opts.datasourceDb,
                  ...(influxToken ? { token: influxToken } : {}),
                },
              }
            : {}),
        });
        out(`Grafana ${result.health.version ?? ''} (database ${result.health.database})`);
        out(`folder ${result.folder.uid}: ${result.folder.created ? 'created' : 'updated'}`);
        if (result.datasource)
          out(`datasource ${result.datasource.uid}: ${result.datasource.created ? 'created' : 'updated'}`);
        else
          out(
            'datasource: not pushed (--datasource-url not given); the dashboards expect uid emissions-influxdb',
          );
        for (const d of result.dashboards)
          out(`dashboard ${d.uid}: version ${d.version ?? '?'} ${d.url ?? ''}`);
      },
    );

  return cmd;
}
