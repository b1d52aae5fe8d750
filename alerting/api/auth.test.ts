import { describe, expect, it } from 'vitest';
import { alertingConfig } from '../config.js';
import { allows, createAuthenticator } from './auth.js';

describe('bearer tokens', () => {
  const auth = createAuthenticator([
    { name: 'v', role: 'viewer', token: 'viewer-token-0123456789' },
    { name: 'a', role: 'admin', token: 'admin-token-0123456789' },
  ]);

  it('finds the principal of a valid token and nothing else', () => {
    expect(auth.authenticate('Bearer admin-token-0123456789')).toEqual({ name: 'a', role: 'admin' });
    expect(auth.authenticate('bearer viewer-token-0123456789')).toEqual({ name: 'v', role: 'viewer' });
    expect(auth.authenticate('Bearer admin-token-012345678')).toBeUndefined();
    expect(auth.authenticate('Basic admin-token-0123456789')).toBeUndefined();
    expect(auth.authenticate(undefined)).toBeUndefined();
    expect(createAuthenticator([]).authenticate('Bearer anything-at-all-000')).toBeUndefined();
  });

  it('orders roles viewer < officer < admin', () => {
    expect(allows({ name: 'x', role: 'officer' }, 'viewer')).toBe(true);
    expect(allows({ name: 'x', role: 'officer' }, 'admin')).toBe(false);
  });

  it('reads tokens from the environment form without echoing a bad token', () => {
    const c = alertingConfig({
      api: { tokens: 'ops:officer:officer-token-0123456789,boss:admin:admin-token-0123456789' },
    });
    expect(c.api.tokens.map((t) => [t.name, t.role])).toEqual([
      ['ops', 'officer'],
      ['boss', 'admin'],
    ]);
    const bad = (() => {
      try {
        alertingConfig({ api: { tokens: 'x:root:short-secret' } });
        return '';
      } catch (err) {
        return String(err);
      }
    })();
    expect(bad).toContain('name:role:token');
    expect(bad).not.toContain('short-secret');
  });
});
