/**
 * The logger a `Neuron` uses when given none, outside Node (a browser, an Electron renderer):
 * warnings and errors on the console. Chosen by the package's `#platform/default-logger` import
 * under every condition but `node`, so a browser bundle carries no pino.
 */
import type { NeuronLogger } from '../logger.js';

const noop = (): void => {};

export function defaultLogger(): NeuronLogger {
  const logger: NeuronLogger = {
    debug: noop,
    info: noop,
    warn: (meta, msg) => console.warn(`[neuron] ${msg ?? ''}`, meta),
    error: (meta, msg) => console.error(`[neuron] ${msg ?? ''}`, meta),
    child: () => logger,
  };
  return logger;
}
