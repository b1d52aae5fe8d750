import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { Readable } from 'node:stream';
import { Aedes } from 'aedes';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { isOutgoingQueuePersistence, skipEmptyOutgoingStreams } from './mqtt-outgoing.js';

async function drain(stream: Readable): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('skipEmptyOutgoingStreams', () => {
  function fakePersistence() {
    const calls: string[] = [];
    const p = {
      outgoingEnqueue(sub: { clientId: string }, packet: unknown, cb?: () => void) {
        calls.push(`enqueue ${sub.clientId} ${String(packet)} ${cb ? 'cb' : 'promise'}`);
        return Promise.resolve('enqueued');
      },
      outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: unknown) {
        calls.push(`combi ${subs.map((s) => s.clientId).join(',')} ${String(packet)}`);
        return Promise.resolve('combined');
      },
      outgoingStream(client: { id: string }): Readable {
        calls.push(`stream ${client.id}`);
        return (async function* () {
          yield `queued for ${client.id}`;
        })() as unknown as Readable;
      },
    };
    return { p, calls };
  }

  it('gives clients that never had anything queued an ended stream, without asking the persistence', async () => {
    const { p, calls } = fakePersistence();
    expect(isOutgoingQueuePersistence(p)).toBe(true);
    skipEmptyOutgoingStreams(p);
    expect(await drain(p.outgoingStream({ id: 'gw-1' }))).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('delegates for ids passed to outgoingEnqueue or outgoingEnqueueCombi, arguments and result unchanged', async () => {
    const { p, calls } = fakePersistence();
    skipEmptyOutgoingStreams(p);
    const cb = () => undefined;
    await expect(p.outgoingEnqueue({ clientId: 'a' }, 'p1', cb)).resolves.toBe('enqueued');
    await expect(p.outgoingEnqueueCombi([{ clientId: 'b' }, { clientId: 'c' }], 'p2')).resolves.toBe(
      'combined',
    );
    for (const id of ['a', 'b', 'c'])
      expect(await drain(p.outgoingStream({ id }))).toEqual([`queued for ${id}`]);
    expect(await drain(p.outgoingStream({ id: 'd' }))).toEqual([]);
    expect(calls).toEqual(['enqueue a p1 cb', 'combi b,c p2', 'stream a', 'stream b', 'stream c']);
  });

  it('rejects objects without the methods it wraps', () => {
    expect(isOutgoingQueuePersistence(undefined)).toBe(false);
    expect(isOutgoingQueuePersistence({ outgoingStream() {} })).toBe(false);
  });
});

describe('skipEmptyOutgoingStreams on aedes’ own memory persistence', () => {
  let server: Server | undefined;
  let broker: Aedes | undefined;
  const clients: MqttClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function start(): Promise<{ url: string; aedes: Aedes }> {
    const aedes = await Aedes.createBroker();
    broker = aedes;
    const persistence: unknown = (aedes as unknown as { persistence?: unknown }).persistence;
    if (!isOutgoingQueuePersistence(persistence)) throw new Error('unexpected aedes persistence');
    skipEmptyOutgoingStreams(persistence);
    const srv = createServer((socket) => aedes.handle(socket));
    server = srv;
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const { port } = srv.address() as { port: number };
    return { url: `mqtt://127.0.0.1:${port}`, aedes };
  }

  it('still delivers what was queued for a persistent session while it was away', async () => {
    const { url, aedes } = await start();
    const opts = { clientId: 'gw-persistent', clean: false, protocolVersion: 4 as const, reconnectPeriod: 0 };
    const first = await connectAsync(url, opts);
    await first.subscribeAsync('emissions/gw/down', { qos: 1 });
    await first.endAsync();

    await new Promise<void>((resolve, reject) =>
      aedes.publish(
        {
          cmd: 'publish',
          topic: 'emissions/gw/down',
          payload: Buffer.from('while away'),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err?: Error) => (err ? reject(err) : resolve()),
      ),
    );

    // Listening before CONNACK: the queued message follows it immediately.
    const again = connect(url, opts);
    clients.push(again);
    const [topic, payload] = await new Promise<[string, Buffer]>((resolve) =>
      again.once('message', (t, p) => resolve([t, p])),
    );
    expect(topic).toBe('emissions/gw/down');
    expect(payload.toString()).toBe('while away');
  });

  it('connects clean sessions (nothing queued) normally', async () => {
    const { url, aedes } = await start();
    const ready = once(aedes, 'clientReady');
    const c = await connectAsync(url, {
      clientId: 'gw-clean',
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(c);
    await ready;
    expect(c.connected).toBe(true);
  });
});
