import { connect, type Socket } from 'node:net';

/**
 * Many idle, authenticated MQTT 3.1.1 connections from this one process (for the RSS-per-connection
 * figure of `serve`): raw sockets sending a hand-built CONNECT and waiting for CONNACK 0. Cheaper than
 * 10 000 mqtt.js clients, so the load generator does not starve the process being measured.
 */
function lengthPrefixed(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

function connectPacket(clientId: string, username: string, password: string, keepaliveSec: number): Buffer {
  const variable = Buffer.from([
    0,
    4,
    0x4d,
    0x51,
    0x54,
    0x54,
    4,
    0xc2,
    keepaliveSec >> 8,
    keepaliveSec & 0xff,
  ]);
  const payload = Buffer.concat([
    lengthPrefixed(clientId),
    lengthPrefixed(username),
    lengthPrefixed(password),
  ]);
  let remaining = variable.length + payload.length;
  const len: number[] = [];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    len.push(byte);
  } while (remaining > 0);
  return Buffer.concat([Buffer.from([0x10, ...len]), variable, payload]);
}

function open(
  host: string,
  port: number,
  mn: string,
  password: string,
  keepaliveSec: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${mn}: no CONNACK within 30 s`));
    }, 30_000);
    socket.once('connect', () => socket.write(connectPacket(`idle-${mn}`, mn, password, keepaliveSec)));
    socket.once('data', (d: Buffer) => {
      clearTimeout(timer);
      if (d[0] === 0x20 && d[3] === 0) resolve(socket);
      else {
        socket.destroy();
        reject(new Error(`${mn}: CONNACK refused (${d[3]})`));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function openIdleConnections(opts: {
  host: string;
  port: number;
  gateways: ReadonlyArray<{ mn: string; password: string }>;
  concurrency?: number;
  keepaliveSec?: number;
}): Promise<{ sockets: Socket[]; failed: number; close(): void }> {
  const sockets: Socket[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < opts.gateways.length) {
      const g = opts.gateways[next++] as { mn: string; password: string };
      try {
        const s = await open(opts.host, opts.port, g.mn, g.password, opts.keepaliveSec ?? 300);
        s.on('error', () => undefined);
        sockets.push(s);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 100 }, worker));
  return {
    sockets,
    failed,
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}
