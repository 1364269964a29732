/**
 * The logger a `Neuron` uses when given none, in Node: pino, JSON lines on stderr, at
 * `NEURON_LOG_LEVEL` (default `warn`), so a rejected token, a refused registration or a blocked
 * loop is never silent. Chosen by the package's `#platform/default-logger` import under `node`.
 */
import { pino } from 'pino';
import type { NeuronLogger } from '../logger.js';
import { defaultLogLevel } from './log-level.js';

let shared: NeuronLogger | undefined;

/** One logger for every default-logging neuron of the process; synchronous, so nothing lingers. */
export function defaultLogger(): NeuronLogger {
  shared ??= pino(
    { name: 'neuron', level: defaultLogLevel(process.env.NEURON_LOG_LEVEL) },
    pino.destination({ dest: 2, sync: true }),
  );
  return shared;
}
