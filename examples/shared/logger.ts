/**
 * The examples' logger: pino when it is installed, else a console logger with the same
 * `(meta, msg)` calls. `LOG_LEVEL` sets the level (`debug`, `info`, `warn`, `error`).
 */
import type { NeuronLogger } from '@holokai/neuron-sdk';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export async function createLogger(name: string): Promise<NeuronLogger> {
  const level = LEVELS.find((l) => l === process.env.LOG_LEVEL) ?? 'info';
  try {
    const { pino } = await import('pino');
    const logger: NeuronLogger = pino({ name, level });
    return logger;
  } catch {
    return consoleLogger({ name }, level);
  }
}

/** One line per call on the console: `time level msg {meta}`. */
export function consoleLogger(
  bindings: Record<string, unknown>,
  level: Level = 'info',
): NeuronLogger {
  const min = LEVELS.indexOf(level);
  const at =
    (lvl: Level) =>
    (meta: Record<string, unknown>, msg = ''): void => {
      if (LEVELS.indexOf(lvl) < min) return;
      const line = `${new Date().toISOString()} ${lvl.toUpperCase()} ${msg} ${JSON.stringify({ ...bindings, ...meta })}`;
      (lvl === 'warn' || lvl === 'error' ? console.error : console.log)(line);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => consoleLogger({ ...bindings, ...more }, level),
  };
}
