import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Logger } from '../core/logger.js';

/**
 * The HTTP face of the service: liveness, readiness, Prometheus metrics, and (from other modules)
 * the REST API and console, registered as fastify plugins.
 */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
}

export interface HttpServerDeps {
  log: Logger;
  metricsRegistry: MetricsRegistry;
  readiness: readonly ReadinessCheck[];
  plugins?: readonly FastifyPluginAsync[];
}

export interface HttpServer {
  readonly app: FastifyInstance;
  start(): Promise<void>;
  /** Marks the service as stopping: /readyz answers 503 so load balancers drain it first. */
  markStopping(): void;
  stop(): Promise<void>;
  readonly port: number;
}

export async function createHttpServer(opts: HttpServerOptions, deps: HttpServerDeps): Promise<HttpServer> {
  // pino's Logger is what fastify's base logger type describes; the cast only drops pino's extra generics.
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Probes and scrapes arrive every few seconds; logging them would drown the API's request log.
    logController: new LogController({ disableRequestLogging: (req) => PROBE_PATHS.has(req.url) }),
    forceCloseConnections: true,
  });
  let stopping = false;
  let stopped = false;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      deps.readiness.map(async (c) => [c.name, await c.check().catch(() => false)] as const),
    );
    const checks = Object.fromEntries(results);
    const ready = !stopping && results.every(([, ok]) => ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', stopping, checks });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metricsRegistry.metrics();
    return reply.header('content-type', deps.metricsRegistry.contentType).send(body);
  });

  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  return {
    app,
    get port() {
      const addr = app.server.address();
      return addr && typeof addr === 'object' ? addr.port : 0;
    },
    async start() {
      await app.listen({ host: opts.host, port: opts.port });
    },
    markStopping() {
      stopping = true;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping = true;
      await app.close();
    },
  };
}
