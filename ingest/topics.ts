/**
 * The MQTT topic contract (DESIGN.md §4), built and parsed in one place.
 * - `emissions/{mn}/up`    gateway → centre: JSON reading or an HJ 212 frame
 * - `emissions/{mn}/down`  centre → gateway: HJ 212 replies (9014 …) and rejection notices
 * - `emissions/{mn}/state` retained `online`/`offline` (the gateway's Last Will)
 */
export const TOPIC_ROOT = 'emissions';

export type DeviceTopicLeaf = 'up' | 'down' | 'state';

export const upTopic = (mn: string) => `${TOPIC_ROOT}/${mn}/up`;
export const downTopic = (mn: string) => `${TOPIC_ROOT}/${mn}/down`;
export const stateTopic = (mn: string) => `${TOPIC_ROOT}/${mn}/state`;
export const ALL_UP_TOPICS = `${TOPIC_ROOT}/+/up`;

const ROOT_PREFIX = `${TOPIC_ROOT}/`;

/** Called for every message: indexOf and slices rather than `split` (no array per call). */
export function parseDeviceTopic(topic: string): { mn: string; leaf: DeviceTopicLeaf } | undefined {
  if (!topic.startsWith(ROOT_PREFIX)) return undefined;
  const slash = topic.indexOf('/', ROOT_PREFIX.length);
  if (slash <= ROOT_PREFIX.length) return undefined; // no MN level, or an empty MN
  const leaf = topic.slice(slash + 1);
  if (leaf !== 'up' && leaf !== 'down' && leaf !== 'state') return undefined;
  return { mn: topic.slice(ROOT_PREFIX.length, slash), leaf };
}

/**
 * Whether a subscription filter can match some gateway's up topic `emissions/{mn}/up` (MQTT 3.1.1
 * §4.7: `+` matches one level, `#` the rest including its parent). Any concrete second level counts,
 * since it may be some gateway's MN; a shared subscription (`$share/{group}/{filter}`) is judged by its
 * filter.
 */
export function filterMayMatchUpTopic(filter: string): boolean {
  const shared = /^\$share\/[^/]*\//.exec(filter);
  const levels = (shared ? filter.slice(shared[0].length) : filter).split('/');
  const upLevels = [TOPIC_ROOT, undefined, 'up'];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') return true;
    if (i >= upLevels.length) return false;
    const want = upLevels[i];
    if (level !== '+' && want !== undefined && level !== want) return false;
  }
  return levels.length === upLevels.length;
}
