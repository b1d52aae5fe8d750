#!/bin/sh
# Run once by the influxdb:2.x image after its automated `influx setup` (DOCKER_INFLUXDB_INIT_MODE=setup),
# from /docker-entrypoint-initdb.d, with the CLI already authenticated as the operator.
#
# Maps the InfluxQL database/retention policy the Grafana datasource (dashboards/provisioning/datasources)
# and the pipeline's InfluxQL queries use onto the bucket: InfluxQL on 2.x only sees buckets that have a
# DBRP mapping. The database name is the bucket name unless INFLUX_DB says otherwise.
set -eu

db="${INFLUX_DB:-${DOCKER_INFLUXDB_INIT_BUCKET}}"
echo "10-dbrp.sh: mapping InfluxQL database '${db}' (rp autogen) to bucket '${DOCKER_INFLUXDB_INIT_BUCKET}'"
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${db}" \
  --rp autogen \
  --default
