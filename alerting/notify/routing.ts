import type { RouteConfig } from '../config.js';
import type { Alarm } from '../lifecycle/book.js';

/**
 * Routing (pure): which channels hear about an alarm. A route matches by enterprise, region, severity
 * and rule (an absent or empty list matches anything). Tier 0 channels hear open, severity rise and
 * clear; escalation steps fire when the alarm is still unacknowledged `afterMinutes` after opening, and
 * once fired their channels also hear the clear.
 */
function matches(list: readonly string[] | undefined, value: string): boolean {
  return list === undefined || list.length === 0 || list.includes(value);
}

export function matchingRoutes(routes: readonly RouteConfig[], a: Alarm): number[] {
  const out: number[] = [];
  routes.forEach((r, i) => {
    if (
      matches(r.match.enterprises, a.enterpriseId) &&
      matches(r.match.regions, a.region) &&
      matches(r.match.severities, a.severity) &&
      matches(r.match.rules, a.rule)
    )
      out.push(i);
  });
  return out;
}

function uniq(xs: Iterable<string>): string[] {
  return [...new Set(xs)];
}

export function tier0Channels(routes: readonly RouteConfig[], a: Alarm): string[] {
  return uniq(matchingRoutes(routes, a).flatMap((i) => routes[i]?.channels ?? []));
}

/** Tier 0 plus every escalation step already fired: who must hear the clear. */
export function episodeChannels(routes: readonly RouteConfig[], a: Alarm): string[] {
  const out = tier0Channels(routes, a);
  for (const key of a.tiersDone) {
    const [r, s] = key.split(':').map(Number);
    out.push(...(routes[r ?? -1]?.escalate[s ?? -1]?.channels ?? []));
  }
  return uniq(out);
}

export interface DueStep {
  key: string;
  channels: string[];
}

/** Escalation steps due at `now` for an active (unacknowledged) alarm. */
export function dueSteps(routes: readonly RouteConfig[], a: Alarm, now: number): DueStep[] {
  if (a.state !== 'active') return [];
  const due: DueStep[] = [];
  for (const i of matchingRoutes(routes, a)) {
    routes[i]?.escalate.forEach((step, s) => {
      const key = `${i}:${s}`;
      if (a.tiersDone.includes(key)) return;
      if (now >= a.openedAt + step.afterMinutes * 60_000) due.push({ key, channels: [...step.channels] });
    });
  }
  return due;
}

/** Channels reminded while active and unacknowledged: tier 0 plus fired steps. */
export function reminderDue(a: Alarm, reminderMinutes: number, now: number): boolean {
  if (a.state !== 'active' || reminderMinutes <= 0) return false;
  const last = a.lastNotifiedAt ?? a.openedAt;
  return now >= last + reminderMinutes * 60_000;
}
