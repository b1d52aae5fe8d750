import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken, Role } from '../config.js';

/**
 * Bearer-token authentication with roles (viewer < officer < admin). Tokens come from config (secrets,
 * no defaults). Comparison is constant-time: every configured token is compared (SHA-256 digests, equal
 * length) without an early exit, so timing reveals neither which token nor how much of it matched.
 * Tokens never reach a log line: only the token's name is used as the actor.
 */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, officer: 1, admin: 2 };

export interface Principal {
  name: string;
  role: Role;
}

export interface Authenticator {
  /** The principal of an `Authorization` header value, or undefined when missing or unknown. */
  authenticate(header: string | undefined): Principal | undefined;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function createAuthenticator(tokens: readonly ApiToken[]): Authenticator {
  const entries = tokens.map((t) => ({ name: t.name, role: t.role, hash: digest(t.token) }));
  return {
    authenticate(header) {
      if (header === undefined) return undefined;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return undefined;
      const presented = digest(m[1] as string);
      let found: Principal | undefined;
      for (const e of entries) {
        if (timingSafeEqual(presented, e.hash) && found === undefined) found = { name: e.name, role: e.role };
      }
      return found;
    },
  };
}

export function allows(p: Principal, needed: Role): boolean {
  return ROLE_RANK[p.role] >= ROLE_RANK[needed];
}
