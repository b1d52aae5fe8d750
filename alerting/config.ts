import { z } from 'zod';

/**
 * The `alerting` section of the app config (config/app-config.ts embeds it). Every default cites where
 * it comes from (reference/regulations.md). Secrets (API tokens, channel secrets, SMTP password) have no
 * defaults; they come from the YAML config file (EMISSIONS_CONFIG_FILE) or the environment.
 */

const PositiveInt = z.coerce.number().int().positive();
const NonNegativeInt = z.coerce.number().int().min(0);
const Share = z.coerce.number().gt(0).lte(1);
const Bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

export const ROLES = ['viewer', 'officer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const SEVERITIES = ['notice', 'early_warning', 'warning', 'exceedance', 'quality'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULES = [
  'hourly_zs_exceedance',
  'hourly_warning',
  'daily_exceedance',
  'instant',
  'over_range',
  // heavy-pollution weather (alerting/heavy-pollution): non-compliance with a warning measure per
  // outlet, and the observed-period proposal per region (pollutant field = suggested level).
  'hp_stop',
  'hp_limit',
  'hp_cap',
  'hp_observed',
  // notifications of declared warning periods (routes may match it; never an alarm in the book)
  'hp_warning',
] as const;
export type RuleId = (typeof RULES)[number];

const ApiToken = z.strictObject({
  /** Who acts with this token: recorded on acks and comments. */
  name: z.string().min(1),
  role: z.enum(ROLES),
  /** Secret; at least 16 characters so it cannot be guessed. Never logged. */
  token: z.string().min(16, 'at least 16 characters'),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** `ALERTING_API_TOKENS=name:role:token,name2:role2:token2` (environment form). */
function parseTokenList(text: string, ctx: z.RefinementCtx): ApiToken[] {
  const out: ApiToken[] = [];
  for (const [i, item] of text.split(',').entries()) {
    if (item.trim() === '') continue;
    const [name, role, ...rest] = item.trim().split(':');
    const token = rest.join(':');
    const parsed = ApiToken.safeParse({ name, role, token });
    if (!parsed.success) {
      // The token itself must not appear in the error message: name the entry only.
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1} ("${name ?? ''}:…") must be name:role:token` });
      continue;
    }
    out.push(parsed.data);
  }
  return out;
}

const Channel = z.discriminatedUnion('type', [
  z.strictObject({
    id: z.string().min(1),
    type: z.literal('webhook'),
    url: z.url(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({
    id: z.string().min(1),
    type: z.literal('dingtalk'),
    /** Robot webhook incl. access_token (a secret). */
    url: z.url(),
    /** 加签 secret (SEC…); when set, timestamp + sign are added to the URL. */
    secret: z.string().min(1).optional(),
  }),
  z.strictObject({ id: z.string().min(1), type: z.literal('wecom'), url: z.url() }),
  z.strictObject({
    id: z.string().min(1),
    type: z.literal('email'),
    to: z.array(z.string().min(3)).default([]),
    /** Also send to the e-mail contacts of the alarm's enterprise (registry `contacts`). */
    enterpriseContacts: Bool.default(false),
  }),
  z.strictObject({
    id: z.string().min(1),
    type: z.literal('mqtt'),
    url: z.string().regex(/^mqtts?:\/\//, 'mqtt:// or mqtts:// URL'),
    /** `{enterprise}`, `{outlet}`, `{severity}` are replaced. */
    topic: z.string().min(1),
    username: z.string().optional(),
    password: z.string().optional(),
  }),
]);
export type ChannelConfig = z.infer<typeof Channel>;

const Route = z.strictObject({
  name: z.string().min(1).optional(),
  /** Empty or absent list = any. */
  match: z
    .strictObject({
      enterprises: z.array(z.string()).optional(),
      regions: z.array(z.string()).optional(),
      severities: z.array(z.enum(SEVERITIES)).optional(),
      rules: z.array(z.enum(RULES)).optional(),
    })
    .prefault({}),
  /** Tier 0: notified on open, severity rise and clear. */
  channels: z.array(z.string().min(1)).min(1),
  /** Later tiers: notified when the alarm is still unacknowledged `afterMinutes` after it opened. */
  escalate: z
    .array(z.strictObject({ afterMinutes: PositiveInt, channels: z.array(z.string().min(1)).min(1) }))
    .default([]),
});
export type RouteConfig = z.infer<typeof Route>;

export const AlertingConfig = z
  .strictObject({
    /** Off unless turned on: the engine needs a writable state directory and configured channels. */
    enabled: Bool.default(false),
    /** Journal (source of truth for alarms) lives here. */
    stateDir: z.string().min(1).default('state/alerting'),
    /** Standards library (YAML, versioned data): config/standards relative to the working directory. */
    standardsDir: z.string().min(1).default('config/standards'),
    language: z.enum(['zh', 'en']).default('zh'),
    /** Base URL of the console/dashboard; messages link `${consoleUrl}/alarms/<id>`. */
    consoleUrl: z.string().optional(),
    /** `cron` (node-cron, production) or `manual` (tests and benches call tick(now)). */
    scheduler: z.enum(['cron', 'manual']).default('cron'),
    /** Wait this long after a window ends before judging it (late uploads). */
    latenessMinutes: NonNegativeInt.default(15),
    /** Judged windows stay in memory and can be re-judged by late data for this long. */
    reopenHours: PositiveInt.default(48),
    /** HJ 76-2017 Annex B via regulations.md §1.1 [S1]: valid hour needs ≥ 45 valid minutes. */
    hourMinValidMinutes: PositiveInt.default(45),
    /** HJ 76-2017 Annex B via regulations.md §1.1 [S1]: valid day needs ≥ 20 valid hours. */
    dayMinValidHours: PositiveInt.default(20),
    /** Water hour: at least this many valid samples (regulations.md §4.1: analysers report hourly). */
    waterHourMinValidSamples: PositiveInt.default(1),
    /** Water day: GB 18918-2002 §4.1.4.2 samples at least every 2 h ⇒ 12 per day (HJ 356 §7 unread, U). */
    waterDayMinValidHours: PositiveInt.default(12),
    /** Device 2061/2031 vs our aggregate: relative difference above this is a mismatch. */
    deviceMismatchTolerance: z.coerce.number().positive().default(0.05),
    earlyWarning: z.strictObject({ enabled: Bool.default(false), share: Share.default(0.8) }).prefault({}),
    instant: z
      .strictObject({ enabled: Bool.default(false), clearSamples: PositiveInt.default(10) })
      .prefault({}),
    clear: z
      .strictObject({
        /** Consecutive valid judged windows below share × threshold that clear an alarm. */
        windows: PositiveInt.default(2),
        share: Share.default(0.9),
      })
      .prefault({}),
    /** Reminder while active and unacknowledged; 0 = off. */
    reminderMinutes: NonNegativeInt.default(60),
    delivery: z
      .strictObject({
        maxAttempts: PositiveInt.default(5),
        retryInitialMs: PositiveInt.default(1000),
        retryMaxMs: PositiveInt.default(60_000),
        timeoutMs: PositiveInt.default(10_000),
        /** Bound of the outbox; when full the oldest queued delivery is failed and logged. */
        maxQueued: PositiveInt.default(10_000),
        concurrency: PositiveInt.default(4),
      })
      .prefault({}),
    api: z
      .strictObject({
        tokens: z.union([z.array(ApiToken), z.string().transform(parseTokenList)]).default([]),
      })
      .prefault({}),
    smtp: z
      .strictObject({
        host: z.string().min(1),
        port: z.coerce.number().int().min(1).max(65535).default(25),
        secure: Bool.default(false),
        user: z.string().optional(),
        password: z.string().optional(),
        from: z.string().min(3),
      })
      .optional(),
    channels: z.array(Channel).default([]),
    routes: z.array(Route).default([]),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Set<string>();
    cfg.channels.forEach((c, i) => {
      if (ids.has(c.id))
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'id'], message: `duplicate channel "${c.id}"` });
      ids.add(c.id);
      if (c.type === 'email' && !cfg.smtp)
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i],
          message: 'an email channel needs the smtp section',
        });
    });
    cfg.routes.forEach((r, i) => {
      const all = [...r.channels, ...r.escalate.flatMap((e) => e.channels)];
      for (const id of all)
        if (!ids.has(id))
          ctx.addIssue({ code: 'custom', path: ['routes', i], message: `unknown channel "${id}"` });
    });
  });

export type AlertingConfig = z.infer<typeof AlertingConfig>;

/** Environment variables of the alerting section (merged into config/app-config.ts ENV_MAP). */
export const ALERTING_ENV_MAP: Readonly<Record<string, string>> = {
  ALERTING_ENABLED: 'alerting.enabled',
  ALERTING_STATE_DIR: 'alerting.stateDir',
  ALERTING_STANDARDS_DIR: 'alerting.standardsDir',
  ALERTING_LANGUAGE: 'alerting.language',
  ALERTING_CONSOLE_URL: 'alerting.consoleUrl',
  ALERTING_SCHEDULER: 'alerting.scheduler',
  ALERTING_LATENESS_MINUTES: 'alerting.latenessMinutes',
  ALERTING_REOPEN_HOURS: 'alerting.reopenHours',
  ALERTING_HOUR_MIN_VALID_MINUTES: 'alerting.hourMinValidMinutes',
  ALERTING_DAY_MIN_VALID_HOURS: 'alerting.dayMinValidHours',
  ALERTING_WATER_DAY_MIN_VALID_HOURS: 'alerting.waterDayMinValidHours',
  ALERTING_EARLY_WARNING: 'alerting.earlyWarning.enabled',
  ALERTING_EARLY_WARNING_SHARE: 'alerting.earlyWarning.share',
  ALERTING_INSTANT: 'alerting.instant.enabled',
  ALERTING_CLEAR_WINDOWS: 'alerting.clear.windows',
  ALERTING_CLEAR_SHARE: 'alerting.clear.share',
  ALERTING_REMINDER_MINUTES: 'alerting.reminderMinutes',
  ALERTING_API_TOKENS: 'alerting.api.tokens',
  SMTP_HOST: 'alerting.smtp.host',
  SMTP_PORT: 'alerting.smtp.port',
  SMTP_SECURE: 'alerting.smtp.secure',
  SMTP_USER: 'alerting.smtp.user',
  SMTP_PASSWORD: 'alerting.smtp.password',
  SMTP_FROM: 'alerting.smtp.from',
};

/** Parses a partial alerting section (tests, benches); defaults applied. */
export function alertingConfig(input: Record<string, unknown> = {}): AlertingConfig {
  return AlertingConfig.parse(input);
}
