import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('never writes secrets: passwords, tokens and authorization headers are redacted', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination }).child({ component: 'test' });
    log.info(
      {
        influx: { url: 'http://x', password: 'influx-secret', token: 'tok-secret' },
        gateway: { mn: 'MN1', password: 'gw-secret' },
        req: { headers: { authorization: 'Bearer api-secret' } },
        PW: 'hj212-secret',
      },
      'config',
    );
    const text = lines.join('');
    for (const secret of ['influx-secret', 'tok-secret', 'gw-secret', 'api-secret', 'hj212-secret']) {
      expect(text).not.toContain(secret);
    }
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      component: 'test',
      msg: 'config',
      gateway: { mn: 'MN1', password: '[redacted]' },
    });
  });
});
