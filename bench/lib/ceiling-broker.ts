/**
 * The ceiling broker of bench/suite.ts: aedes in its own process, accepting every CONNECT, with an
 * in-process `aedes.subscribe` handler on `emissions/+/up` that only counts. The load generator
 * publishes QoS 1 exactly as it does to `emissions serve`, so the difference between the two runs is
 * the pipeline's own work (decode, validate, encode, spool + fsync, InfluxDB).
 *
 *   node --import tsx bench/lib/ceiling-broker.ts <port>
 *
 * Prints one JSON line `{"msg":"listening","port":…}`, then `{"msg":"count","n":…,"at":…}` every 250 ms
 * (the bench samples the counter's rate over a steady window).
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2] ?? 0);
let n = 0;

const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
aedes.subscribe(
  'emissions/+/up',
  (_packet, cb) => {
    n++;
    cb();
  },
  () => undefined,
);
const server = createServer((socket) => {
  // Same socket setting as ingest/mqtt-broker.ts, so the comparison is fair.
  socket.setNoDelay(true);
  aedes.handle(socket);
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: bound })}\n`);
});
const timer = setInterval(() => {
  process.stdout.write(`${JSON.stringify({ msg: 'count', n, at: Date.now() })}\n`);
}, 250);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ msg: 'count', n, at: Date.now() })}\n`);
  aedes.close(() => server.close(() => process.exit(0)));
});
