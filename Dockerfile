# syntax=docker/dockerfile:1
# The pipeline image: multi-stage on the official Node image. The build stage compiles TypeScript with the
# dev dependencies; the runtime stage ships dist/ and production dependencies only, runs as the
# unprivileged `node` user, and keeps all state under /var/lib/emissions (a volume in docker-compose.yml).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core core
COPY config config
COPY ingest ingest
COPY alerting alerting
COPY simulator simulator
COPY dashboards dashboards
COPY cli cli
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
# A 64 MiB young-generation semi-space: under load the readings waiting for their group commit survive
# V8's scavenges, and with the default (16 MiB) the scavenger copied them several times: garbage
# collection took 14–16 % of serve's CPU, 8–9 % with 64 MiB, for ≈ 80 MB more peak RSS under full load
# and no change at idle (docs/benchmarks.md). The benchmarks start serve with these same options.
ENV NODE_OPTIONS="--max-semi-space-size=64"
ENV NODE_ENV=production \
    EMISSIONS_TIME_ZONE=Asia/Shanghai \
    SPOOL_DIR=/var/lib/emissions/spool \
    ALERTING_STATE_DIR=/var/lib/emissions/alerting
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/dist dist
COPY package.json ./
COPY bin bin
# Standards library (limits, reference O2) is read at start from config/standards (relative to /app);
# the example registry lets `docker run … simulate` work without a mount.
COPY config/standards config/standards
COPY config/examples config/examples
# Code and config are root-owned and read-only to the service user; only the state directory is writable.
RUN mkdir -p /var/lib/emissions/spool /var/lib/emissions/alerting && chown -R node:node /var/lib/emissions
USER node
VOLUME ["/var/lib/emissions"]
# MQTT (gateways), HTTP (health, metrics, API), HJ 212 TCP (gateways)
EXPOSE 1883 8080 9212
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/emissions.js"]
CMD ["serve"]
