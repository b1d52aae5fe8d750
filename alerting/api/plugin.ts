import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../../config/zod-issues.js';
import type { ErrorCode } from '../../core/errors.js';
import { type Role, RULES, SEVERITIES } from '../config.js';
import type { Engine } from '../engine.js';
import { limitSourceText } from '../engine.js';
import type { Alarm } from '../lifecycle/book.js';
import { type Authenticator, allows, type Principal } from './auth.js';

/**
 * HTTP API of the alarm engine (fastify plugin): list, detail with events and deliveries, ack, comment,
 * clear, limits; OpenAPI document and UI at /docs. Every /api/v1 route needs a bearer token (401
 * without a valid one, 403 without the role). Requests are validated with zod; the JSON schemas given
 * to fastify are for the OpenAPI document only (zod is the validator).
 */

const STATES = ['active', 'acknowledged', 'cleared'] as const;

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)));

const Time = z.string().transform((s, ctx) => {
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'ISO 8601 time or epoch ms' });
    return z.NEVER;
  }
  return ms;
});

export const ListQuery = z.strictObject({
  state: csv(STATES).optional(),
  enterprise: z.string().min(1).optional(),
  outlet: z.string().min(1).optional(),
  pollutant: z.string().min(1).optional(),
  severity: csv(SEVERITIES).optional(),
  rule: z.enum(RULES).optional(),
  from: Time.optional(),
  to: Time.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const IdParams = z.strictObject({ id: z.string().min(1).max(100) });
const AckBody = z.strictObject({ comment: z.string().max(2000).optional() }).default({});
const CommentBody = z.strictObject({ text: z.string().min(1).max(2000) });
const ClearBody = z.strictObject({ comment: z.string().max(2000).optional() }).default({});
const LimitsQuery = z.strictObject({ outlet: z.string().min(1) });

function send(reply: FastifyReply, status: number, code: ErrorCode, message: string, details?: unknown) {
  return reply.code(status).send({ code, message, ...(details === undefined ? {} : { details }) });
}

function parse<T extends z.ZodType>(schema: T, data: unknown, reply: FastifyReply): z.infer<T> | undefined {
  const r = schema.safeParse(data ?? undefined);
  if (r.success) return r.data;
  void send(reply, 400, 'ALR_BAD_REQUEST', 'request failed validation', formatIssues(r.error));
  return undefined;
}

export function alarmView(a: Alarm) {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    id: a.id,
    state: a.state,
    severity: a.severity,
    rule: a.rule,
    enterprise: a.enterpriseId,
    region: a.region,
    outlet: a.outletId,
    mn: a.mn,
    pollutant: a.pollutant,
    value: a.value ?? null,
    peakValue: a.peakValue ?? null,
    limit: a.limit ?? null,
    limitMin: a.limitMin ?? null,
    unit: a.unit ?? null,
    basis: a.basis,
    limitCondition: a.limitCondition ?? null,
    openedAt: iso(a.openedAt),
    updatedAt: iso(a.updatedAt),
    firstWindowStart: iso(a.firstWindowStart),
    windowStart: iso(a.lastWindowStart),
    windowEnd: iso(a.lastWindowEnd),
    ackedAt: iso(a.ackedAt),
    ackedBy: a.ackedBy ?? null,
    clearedAt: iso(a.clearedAt),
    clearedBy: a.clearedBy ?? null,
    clearReason: a.clearReason ?? null,
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Minimum role for an /api/v1 route. */
    role?: Role;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AlarmApiDeps {
  engine: Engine;
  auth: Authenticator;
  language: 'zh' | 'en';
}

const bearer = [{ bearer: [] as string[] }];

export function createAlarmApiPlugin(deps: AlarmApiDeps): FastifyPluginAsync {
  const { engine, auth } = deps;
  return async (app: FastifyInstance) => {
    // zod validates; fastify's own validator would reject before zod with a different error shape.
    app.setValidatorCompiler(() => (data) => ({ value: data }));

    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: '污染源自动监控 超标报警 API · Exceedance alarm API',
          version: '1.0.0',
          description: 'Bearer token with role viewer (read), officer (ack, comment) or admin (clear).',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });

    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (!req.url.startsWith('/api/v1/')) return;
      const needed = req.routeOptions.config.role;
      if (needed === undefined) return;
      const principal = auth.authenticate(req.headers.authorization);
      if (!principal) {
        reply.header('www-authenticate', 'Bearer realm="alarms"');
        return send(reply, 401, 'ALR_UNAUTHORIZED', 'a valid bearer token is required');
      }
      if (!allows(principal, needed)) return send(reply, 403, 'ALR_FORBIDDEN', `role ${needed} required`);
      req.principal = principal;
    });

    const docQuery = z.toJSONSchema(ListQuery, { io: 'input', unrepresentable: 'any' });
    app.get(
      '/api/v1/alarms',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'List alarms (filters, paging)',
          tags: ['alarms'],
          querystring: docQuery,
          security: bearer,
        },
      },
      async (req, reply) => {
        const q = parse(ListQuery, req.query, reply);
        if (!q) return reply;
        const filter: Parameters<Engine['listAlarms']>[0] = { limit: q.limit, offset: q.offset };
        if (q.state) filter.state = q.state;
        if (q.severity) filter.severity = q.severity;
        if (q.enterprise) filter.enterprise = q.enterprise;
        if (q.outlet) filter.outlet = q.outlet;
        if (q.pollutant) filter.pollutant = q.pollutant;
        if (q.rule) filter.rule = q.rule;
        if (q.from !== undefined) filter.from = q.from;
        if (q.to !== undefined) filter.to = q.to;
        const { total, items } = engine.listAlarms(filter);
        return { total, limit: q.limit, offset: q.offset, items: items.map(alarmView) };
      },
    );

    const idSchema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
    app.get(
      '/api/v1/alarms/:id',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'One alarm with its events and deliveries',
          tags: ['alarms'],
          params: idSchema,
          security: bearer,
        },
      },
      async (req, reply) => {
        const p = parse(IdParams, req.params, reply);
        if (!p) return reply;
        const a = engine.getAlarm(p.id);
        if (!a) return send(reply, 404, 'ALR_NOT_FOUND', `no alarm ${p.id}`);
        return {
          alarm: alarmView(a),
          events: engine.events(a.id).map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
          deliveries: engine.deliveries(a.id),
        };
      },
    );

    const mutate = (
      path: string,
      role: Role,
      summary: string,
      body: z.ZodType,
      run: (id: string, actor: string, body: Record<string, string | undefined>) => ReturnType<Engine['ack']>,
      status = 200,
    ) =>
      app.post(
        path,
        {
          config: { role },
          schema: {
            summary,
            tags: ['alarms'],
            params: idSchema,
            body: z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' }),
            security: bearer,
          },
        },
        async (req, reply) => {
          const p = parse(IdParams, req.params, reply);
          if (!p) return reply;
          const b = parse(body, req.body, reply) as Record<string, string | undefined> | undefined;
          if (!b) return reply;
          const actor = req.principal?.name ?? 'unknown';
          const r = run(p.id, actor, b);
          if (!r.ok) return send(reply, r.code === 'ALR_NOT_FOUND' ? 404 : 409, r.code, r.message);
          return reply.code(status).send({
            alarm: alarmView(r.alarm),
            event: { ...r.event, at: new Date(r.event.at).toISOString() },
          });
        },
      );

    mutate('/api/v1/alarms/:id/ack', 'officer', 'Acknowledge (officer)', AckBody, (id, actor, b) =>
      engine.ack(id, actor, b.comment),
    );
    mutate(
      '/api/v1/alarms/:id/comments',
      'officer',
      'Add a comment (officer)',
      CommentBody,
      (id, actor, b) => engine.comment(id, actor, b.text ?? ''),
      201,
    );
    mutate('/api/v1/alarms/:id/clear', 'admin', 'Clear manually (admin)', ClearBody, (id, actor, b) =>
      engine.clear(id, actor, b.comment),
    );

    app.get(
      '/api/v1/limits',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Limits in force for an outlet, with their sources',
          tags: ['limits'],
          querystring: z.toJSONSchema(LimitsQuery, { io: 'input' }),
          security: bearer,
        },
      },
      async (req, reply) => {
        const q = parse(LimitsQuery, req.query, reply);
        if (!q) return reply;
        const l = engine.limitsOf(q.outlet);
        if (!l) return send(reply, 404, 'ALR_NOT_FOUND', `no outlet ${q.outlet}`);
        return {
          outlet: l.outletId,
          medium: l.medium,
          limitSet: l.setId ?? null,
          limitSetName: l.set ? { zh: l.set.nameZh, en: l.set.nameEn, standard: l.set.standard } : null,
          referenceO2: l.referenceO2 ?? null,
          problems: l.problems,
          limits: [...l.limits.values()].map((x) => ({
            code: x.code,
            max: x.max ?? null,
            min: x.min ?? null,
            unit: x.unit,
            limitUnit: x.limitUnit,
            factor: x.factor,
            coldWater: x.coldWater ?? null,
            averaging: x.averaging,
            source: { ...x.source, text: limitSourceText(x, deps.language) },
          })),
        };
      },
    );
  };
}
