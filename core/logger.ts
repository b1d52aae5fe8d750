import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino removes from every log line. Secrets may sit in config objects, MQTT CONNECT packets and
 * HTTP headers; listing them here means a careless `log.info({ config })` still cannot leak them.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  '*.*.token',
  'secret',
  '*.secret',
  '*.*.secret',
  'influx.password',
  'influx.token',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'PW',
  '*.PW',
];

export interface CreateLoggerOptions {
  level: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to assert on parsed lines. */
  destination?: NodeJS.WritableStream;
  base?: Record<string, unknown>;
}

/** The only place a root logger is created; components get `log.child({ component })`. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    base: opts.base ?? { service: 'emissions' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
