/**
 * The examples' logger. On a terminal, one readable line per call (`12:00:01.250 INFO  task done
 * taskId=t-1 outcome=ack`); otherwise JSON lines (pino's when it is installed), for a log
 * collector. `LOG_LEVEL` sets the level (`debug`, `info`, `warn`, `error`).
 */
import type { NeuronLogger } from '@holokai/neuron-sdk';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export async function createLogger(
  name: string,
  tty = process.stdout.isTTY === true,
): Promise<NeuronLogger> {
  const level = LEVELS.find((l) => l === process.env.LOG_LEVEL) ?? 'info';
  if (tty) return consoleLogger({}, level, prettyLine);
  try {
    const { pino } = await import('pino');
    const logger: NeuronLogger = pino({ name, level });
    return logger;
  } catch {
    return consoleLogger({ name }, level);
  }
}

type Format = (level: Level, msg: string, meta: Record<string, unknown>) => string;

/** `time level msg {meta}` */
const jsonLine: Format = (level, msg, meta) =>
  `${new Date().toISOString()} ${level.toUpperCase()} ${msg} ${JSON.stringify(meta)}`;

/** `12:00:01.250 INFO  task done taskId=t-1 outcome=ack`: strings bare, anything else as JSON. */
export const prettyLine: Format = (level, msg, meta) => {
  const fields = Object.entries(meta)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const time = new Date().toISOString().slice(11, 23);
  return [time, level.toUpperCase().padEnd(5), msg, ...fields].join(' ');
};

/** One line per call on the console, in `format`. */
export function consoleLogger(
  bindings: Record<string, unknown>,
  level: Level = 'info',
  format: Format = jsonLine,
): NeuronLogger {
  const min = LEVELS.indexOf(level);
  const at =
    (lvl: Level) =>
    (meta: Record<string, unknown>, msg = ''): void => {
      if (LEVELS.indexOf(lvl) < min) return;
      const line = format(lvl, msg, { ...bindings, ...meta });
      (lvl === 'warn' || lvl === 'error' ? console.error : console.log)(line);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => consoleLogger({ ...bindings, ...more }, level, format),
  };
}
