/** pino's call signature: `(meta, msg)`. Any pino logger fits, and so does a thin console wrapper. */
export interface NeuronLogger {
  debug(meta: Record<string, unknown>, msg?: string): void;
  info(meta: Record<string, unknown>, msg?: string): void;
  warn(meta: Record<string, unknown>, msg?: string): void;
  error(meta: Record<string, unknown>, msg?: string): void;
  /** When present (pino has it), used for the per-lease logger. */
  child?(bindings: Record<string, unknown>): NeuronLogger;
  /**
   * When present (pino has it), asked before a hot path builds a line's fields: a level that is
   * off then costs nothing. Without it, every line is built and handed to its method.
   */
  isLevelEnabled?(level: LogLevel): boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Whether `logger` wants `level`'s lines: true unless it says otherwise. */
export function levelEnabled(logger: NeuronLogger, level: LogLevel): boolean {
  return logger.isLevelEnabled?.(level) ?? true;
}

const noop = (): void => {};

/** The default: says nothing. */
export const silentLogger: NeuronLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};

/** A logger whose lines all carry `bindings`; uses the logger's own `child` when it has one. */
export function childLogger(logger: NeuronLogger, bindings: Record<string, unknown>): NeuronLogger {
  if (typeof logger.child === 'function') return logger.child(bindings);
  const wrap =
    (level: LogLevel) =>
    (meta: Record<string, unknown>, msg?: string): void =>
      logger[level]({ ...bindings, ...meta }, msg);
  return {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (more) => childLogger(logger, { ...bindings, ...more }),
    isLevelEnabled: (level) => levelEnabled(logger, level),
  };
}
