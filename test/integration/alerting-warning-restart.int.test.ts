import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARNINGS_FILE, type Warning } from '../../alerting/heavy-pollution/warnings.js';
import { type HttpReceiver, startHttpReceiver } from '../../alerting/testing/harness.js';
import { startWarningStack, type WarningStack } from '../../alerting/testing/warning-stack.js';
import { parseRegistry } from '../../config/registry.js';

/**
 * Warning-transition notifications survive a crash like alarm notifications: queued warning deliveries
 * are journaled with their notice; a restart resends those not confirmed, re-notifies a transition that
 * was saved but never queued, and never notifies a recipient twice.
 */
const H = 3_600_000;
const T0 = Date.parse('2026-12-10T08:00:00+08:00');
const REGION = '测试区';
const registryDoc = {
  version: 1,
  enterprises: [
    {
      id: 'warn-d',
      name: '预警测试企业',
      region: REGION,
      grade: 'D',
      contacts: [{ name: '环保', email: 'warn-d@example.invalid' }],
      outlets: [
        {
          id: 'warn-d-o1',
          name: '锅炉排口',
          medium: 'gas',
          sourceType: 'gas-boiler',
          gateway: { mn: 'WARNRESTART01', password: 'secret-pw' },
          pollutants: [{ code: 'a21026', unit: 'mg/m3' }],
        },
      ],
    },
  ],
};
const registry = parseRegistry(registryDoc);

/** Enterprise endpoint: holds the first request unanswered (the crash happens meanwhile), answers later ones. */
interface HoldingReceiver {
  url: string;
  held: Promise<void>;
  completed: Array<Record<string, unknown>>;
  waitCompleted(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function startHoldingReceiver(): Promise<HoldingReceiver> {
  const completed: Array<Record<string, unknown>> = [];
  const events = new EventEmitter();
  const open = new Set<ServerResponse>();
  let holding = true;
  let resolveHeld: () => void = () => {};
  const held = new Promise<void>((r) => {
    resolveHeld = r;
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (holding) {
        holding = false;
        open.add(res);
        resolveHeld();
        return; // never answered: the sender is killed while waiting
      }
      completed.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      events.emit('item');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/ent`,
    held,
    completed,
    async waitCompleted(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (completed.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${n} enterprise notification(s)`);
        await Promise.race([once(events, 'item'), new Promise((r) => setTimeout(r, left).unref())]);
      }
    },
    async close() {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

let duty: HttpReceiver;
let ent: HoldingReceiver;
const stacks: WarningStack[] = [];

beforeAll(async () => {
  duty = await startHttpReceiver();
  ent = await startHoldingReceiver();
});

afterAll(async () => {
  for (const s of stacks) await s.stop();
  await duty?.close();
  await ent?.close();
});

async function stack(stateDir: string, now: number): Promise<WarningStack> {
  const s = await startWarningStack({
    stateDir,
    registry,
    dutyUrl: `${duty.url}/duty`,
    entUrl: ent.url,
    now: () => now,
    region: REGION,
  });
  stacks.push(s);
  return s;
}

describe('warning notifications across a crash', () => {
  it('kill -9 mid-delivery: the unconfirmed delivery is resent once, the confirmed one never', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'warning-restart-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'alerting/testing/warning-child.ts',
        JSON.stringify({
          stateDir,
          registry: registryDoc,
          dutyUrl: `${duty.url}/duty`,
          entUrl: ent.url,
          t0: T0,
          region: REGION,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    let dutyJournaled: () => void = () => {};
    const dutySent = new Promise<void>((r) => {
      dutyJournaled = r;
    });
    const issued = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /issued (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
        if (out.includes('delivered duty\n')) dutyJournaled();
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const id = await issued;
    await dutySent; // the duty delivery is confirmed and its `sent` attempt journaled
    await ent.held; // the enterprise notification is in flight
    child.kill('SIGKILL');
    await once(child, 'exit');

    const s = await stack(stateDir, T0 + 10 * 60_000);
    await ent.waitCompleted(1);
    await s.alerting.flush();
    expect(ent.completed).toHaveLength(1);
    expect(ent.completed[0]).toMatchObject({ type: 'alarm', alarm: { id, rule: 'hp_warning' } });
    expect(String(ent.completed[0]!.textZh)).toContain('须执行以下措施');
    expect(duty.requests.filter((c) => c.path === '/duty')).toHaveLength(1);

    // Another restart: everything is confirmed, nothing is sent again.
    await s.stop();
    const s2 = await stack(stateDir, T0 + 20 * 60_000);
    await s2.alerting.flush();
    expect(ent.completed).toHaveLength(1);
    expect(duty.requests.filter((c) => c.path === '/duty')).toHaveLength(1);
    await s2.stop();
  }, 30_000);

  it('a transition saved but never queued (crash in between) is notified on start, once', async () => {
    duty.requests.length = 0;
    ent.completed.length = 0;
    const stateDir = mkdtempSync(join(tmpdir(), 'warning-unqueued-'));
    const w: Warning = {
      id: 'w-unqueued-1',
      region: REGION,
      level: 'red',
      start: T0,
      plannedEnd: T0 + 24 * H,
      authority: '测试区重污染天气应急指挥部',
      docNo: '测重污指〔2026〕2号',
      state: 'active',
      createdAt: T0,
      history: [{ at: T0, transition: 'issued', level: 'red', actor: 'duty', plannedEnd: T0 + 24 * H }],
    };
    writeFileSync(join(stateDir, WARNINGS_FILE), `${JSON.stringify(w)}\n`, { mode: 0o600 });
    const s = await stack(stateDir, T0 + 5 * 60_000);
    await duty.waitFor((c) => c.path === '/duty');
    await ent.waitCompleted(1);
    await s.alerting.flush();
    expect(duty.requests.filter((c) => c.path === '/duty')).toHaveLength(1);
    expect(ent.completed).toHaveLength(1);
    await s.stop();

    const s2 = await stack(stateDir, T0 + 6 * 60_000);
    await s2.alerting.flush();
    expect(duty.requests.filter((c) => c.path === '/duty')).toHaveLength(1);
    expect(ent.completed).toHaveLength(1);
    await s2.stop();
  }, 30_000);
});
