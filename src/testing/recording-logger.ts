import type { NeuronLogger } from '../logger.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  /** The call's meta, with the bindings of the child logger it came through. */
  meta: Record<string, unknown>;
  msg: string | undefined;
}

/** A logger that records every line (child loggers included) into `logs`, for assertions. */
export function createRecordingLogger(
  logs: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): NeuronLogger & { logs: LogRecord[] } {
  const at =
    (level: LogRecord['level']) =>
    (meta: Record<string, unknown>, msg?: string): void => {
      logs.push({ level, meta: { ...bindings, ...meta }, msg });
    };
  return {
    logs,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => createRecordingLogger(logs, { ...bindings, ...more }),
  };
}
