/**
 * The log lines of `neuron dev`: pino-pretty-like text (coloured on a terminal), or JSON lines
 * that pino tools read (`level` 30/40/50, `time` in epoch ms, `msg`).
 */
import { type Paint, painter, type Style, short } from './format.js';

export type Level = 'info' | 'warn' | 'error';
/** Shown as `key=value` in text, as is in JSON; `undefined` fields are left out. */
export type Fields = Record<string, unknown>;

export interface LineLogger {
  log(level: Level, msg: string, fields?: Fields): void;
}

export type LogFormat = 'pretty' | 'plain' | 'json';

const PINO_LEVEL: Record<Level, number> = { info: 30, warn: 40, error: 50 };
const LEVEL_STYLE: Record<Level, Style> = { info: 'green', warn: 'yellow', error: 'red' };

export function createLineLogger(
  format: LogFormat,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): LineLogger {
  if (format === 'json') {
    return {
      log(level, msg, fields = {}) {
        const time = now().getTime();
        write(`${JSON.stringify({ level: PINO_LEVEL[level], time, msg, ...fields })}\n`);
      },
    };
  }
  const paint = painter(format === 'pretty');
  return {
    log(level, msg, fields = {}) {
      const head = `${paint('gray', clock(now()))} ${paint(LEVEL_STYLE[level], level.toUpperCase().padEnd(5))}`;
      const rest = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => pair(paint, key, value));
      write(`${[head, paint('cyan', msg), ...rest].join(' ')}\n`);
    },
  };
}

/** `HH:MM:SS.mmm`, local time. */
function clock(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`;
}

/** `key=value`; a string with spaces or quotes is JSON-quoted, anything else JSON, cut short. */
function pair(paint: Paint, key: string, value: unknown): string {
  const quote = typeof value === 'string' && (value === '' || /[\s"=]/.test(value));
  return `${paint('gray', `${key}=`)}${short(quote ? JSON.stringify(value) : value, 120)}`;
}
