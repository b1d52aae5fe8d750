import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectAsync, type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMosquitto, startMosquitto } from '../support/mosquitto.js';

const MESSAGES = 500;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Bounded poll: the process is not our child, so there is no exit event to await. */
async function waitGone(pid: number, tries = 100, intervalMs = 50): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

const noReconnect: IClientOptions = { reconnectPeriod: 0, connectTimeout: 5000 };

describe('mosquitto harness (real mosquitto)', () => {
  let broker: LocalMosquitto;

  beforeAll(async () => {
    broker = await startMosquitto();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('relays QoS 1 messages between two mqtt.js clients, in order and intact', async () => {
    const sub = await connectAsync(broker.url, { ...noReconnect, clientId: 'sub-1' });
    const pub = await connectAsync(broker.url, { ...noReconnect, clientId: 'MN001' });
    try {
      const received: Array<{ topic: string; payload: string }> = [];
      let resolveAll: () => void = () => {};
      const all = new Promise<void>((resolve) => {
        resolveAll = resolve;
      });
      sub.on('message', (topic, payload) => {
        received.push({ topic, payload: payload.toString('utf8') });
        if (received.length === MESSAGES) resolveAll();
      });
      await sub.subscribeAsync('emissions/+/up', { qos: 1 });
      for (let i = 0; i < MESSAGES; i++) {
        await pub.publishAsync('emissions/MN001/up', JSON.stringify({ seq: i, note: '二氧化硫' }), {
          qos: 1,
        });
      }
      await all;
      expect(received.map((m) => JSON.parse(m.payload).seq)).toEqual(
        Array.from({ length: MESSAGES }, (_, i) => i),
      );
      expect(received[0]).toEqual({ topic: 'emissions/MN001/up', payload: '{"seq":0,"note":"二氧化硫"}' });
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });

  it('stop() ends the broker process and is idempotent', async () => {
    const own = await startMosquitto();
    expect(isAlive(own.pid)).toBe(true);
    await own.stop();
    await own.stop();
    expect(isAlive(own.pid)).toBe(false);
    await expect(connectAsync(own.url, noReconnect)).rejects.toThrow();
  });
});

describe('mosquitto with a password file', () => {
  let broker: LocalMosquitto;

  beforeAll(async () => {
    broker = await startMosquitto({ allowAnonymous: false, users: { MN001: 's3cret', 'MN 中文': '密码 2' } });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('admits registered users and refuses anonymous and wrong passwords', async () => {
    const ok = await connectAsync(broker.url, { ...noReconnect, username: 'MN001', password: 's3cret' });
    await ok.endAsync();
    const cn = await connectAsync(broker.url, { ...noReconnect, username: 'MN 中文', password: '密码 2' });
    await cn.endAsync();
    await expect(connectAsync(broker.url, noReconnect)).rejects.toThrow(/Not authorized/i);
    await expect(
      connectAsync(broker.url, { ...noReconnect, username: 'MN001', password: 'wrong' }),
    ).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
  });
});

describe('orphan protection', () => {
  it('kills the broker when the process that started it is SIGKILLed', async () => {
    const harness = fileURLToPath(new URL('../support/mosquitto.ts', import.meta.url));
    const script = `
      const { startMosquitto } = await import(${JSON.stringify(harness)});
      const b = await startMosquitto();
      process.stdout.write(JSON.stringify({ pid: b.pid, dir: b.dir }) + '\\n');
    `;
    // The started broker (a ref'd child) keeps this parent alive until it is killed.
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: parent.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const { pid, dir } = JSON.parse(first) as { pid: number; dir: string };
    expect(isAlive(pid)).toBe(true);

    const exited = once(parent, 'exit');
    parent.kill('SIGKILL'); // no 'exit' handlers run: only the watchdog can clean up
    await exited;
    expect(await waitGone(pid)).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
