import { Readable } from 'node:stream';

/**
 * A cheap `outgoingStream` for clients whose offline queue is certainly empty: the cost of an idle gateway.
 *
 * At the end of every CONNECT, aedes runs `pipeline(persistence.outgoingStream(client), through(...), done)`
 * to deliver the packets queued while a persistent session was away (emptyQueue in
 * node_modules/aedes/lib/handlers/connect.js). The default memory persistence (aedes-persistence 11,
 * callBackPersistence.js) builds that stream as `Readable.from(Readable.from(queueCopy))`: an async
 * iterator over a second stream. For a queue that is nearly always empty this allocates ~21 KB per
 * CONNECT (a plain ended Readable: ~14 KB, pipeline included), and during a reconnect storm much of it
 * reaches V8's old space (measured: 15 KB promoted per connection with the default stream, 6.4 KB, that
 * is about the connection's own live state, with this one), where it stays until the next full GC. In
 * `serve` with 10 000 gateways that garbage was two thirds of the heap and RSS growth per connection.
 * (Not all of it can be avoided from here: aedes' own pipeline and `through` stream remain, and when V8's
 * allocation-site pretenuring kicks in during a burst, typically on a CPU-starved box, they are promoted
 * again; in bench section D `--no-allocation-site-pretenuring` on serve prevents that.)
 *
 * Packets enter the memory persistence's outgoing queue only through outgoingEnqueue/outgoingEnqueueCombi
 * (outgoingUpdate replaces an entry, outgoingClearMessageId removes one). So a client id never passed to
 * them has an empty queue, and its stream can be an ended Readable. Any other id keeps the original
 * stream, so a persistent session still gets its queued messages (and a clean session still has the
 * leftovers of an earlier persistent one cleared by aedes). The set of such ids is only ever added to
 * (the queue's emptiness is not observable without reading it): one entry per client id that ever had
 * QoS > 0 messages queued, i.e. per authenticated gateway using a persistent session.
 */
export interface OutgoingQueuePersistence {
  outgoingEnqueue(sub: { clientId: string }, ...rest: unknown[]): unknown;
  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, ...rest: unknown[]): unknown;
  outgoingStream(client: { id: string }): Readable;
}

export function isOutgoingQueuePersistence(p: unknown): p is OutgoingQueuePersistence {
  const q = p as Partial<Record<keyof OutgoingQueuePersistence, unknown>> | null | undefined;
  return (
    typeof q?.outgoingEnqueue === 'function' &&
    typeof q.outgoingEnqueueCombi === 'function' &&
    typeof q.outgoingStream === 'function'
  );
}

/** Wraps the persistence's methods in place (before any client connects). */
export function skipEmptyOutgoingStreams(persistence: OutgoingQueuePersistence): void {
  const mayHaveQueued = new Set<string>();
  const enqueue = persistence.outgoingEnqueue.bind(persistence);
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
  const stream = persistence.outgoingStream.bind(persistence);
  // The id is recorded before the packet is stored, so "queued" always implies "in the set".
  persistence.outgoingEnqueue = (sub, ...rest) => {
    mayHaveQueued.add(sub.clientId);
    return enqueue(sub, ...rest);
  };
  persistence.outgoingEnqueueCombi = (subs, ...rest) => {
    for (const sub of subs) mayHaveQueued.add(sub.clientId);
    return enqueueCombi(subs, ...rest);
  };
  persistence.outgoingStream = (client) => (mayHaveQueued.has(client.id) ? stream(client) : endedStream());
}

function endedStream(): Readable {
  return new Readable({
    objectMode: true,
    read() {
      this.push(null);
    },
  });
}
