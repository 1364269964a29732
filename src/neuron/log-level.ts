/** `NEURON_LOG_LEVEL`: one of pino's levels; anything else (or nothing) is `warn`. */
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export function defaultLogLevel(value: string | undefined): string {
  const level = value?.trim().toLowerCase();
  return level && LEVELS.has(level) ? level : 'warn';
}
