/** `IpcTransport`'s options, checked and defaulted once in its constructor. */
import { ConfigError } from '../errors.js';
import { type NeuronLogger, silentLogger } from '../logger.js';
import { checkDelay, checkLogger, checkNeuronId } from '../transport/shared-options.js';
import type { NeuronIpcBridge } from './bridge.js';

export interface IpcTransportOptions {
  /** The app's side of the IPC channel (from the renderer's preload). */
  bridge: NeuronIpcBridge;
  neuronId: string;
  /** @default silentLogger */
  logger?: NeuronLogger;
  /**
   * How long a bridge call (`attach`, `detach`, `invoke`) may take before it fails with a
   * `RequestTimeoutError` (and an error event): a host that stopped answering must not hang the
   * neuron. Not a keep-alive: nothing is sent while the channel is idle.
   * @default 10_000
   */
  requestTimeoutMs?: number;
}

export interface ResolvedIpcTransportOptions {
  bridge: NeuronIpcBridge;
  neuronId: string;
  logger: NeuronLogger;
  requestTimeoutMs: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const BRIDGE_METHODS = ['attach', 'detach', 'subscribe', 'invoke'] as const;

export function resolveIpcTransportOptions(
  options: IpcTransportOptions,
): ResolvedIpcTransportOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('IpcTransport needs an options object with bridge and neuronId');
  }
  const { bridge, neuronId, logger, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS } = options;
  if (typeof bridge !== 'object' || bridge === null) {
    throw invalid(
      'bridge must be the NeuronIpcBridge your preload exposes (e.g. window.bigbrainNeuron), with attach, detach, subscribe and invoke',
    );
  }
  for (const method of BRIDGE_METHODS) {
    if (typeof bridge[method] !== 'function') {
      throw invalid(
        `bridge.${method} must be a function (a NeuronIpcBridge has attach, detach, subscribe and invoke)`,
      );
    }
  }
  // The same rules, in the same words, as `new Neuron()` and `new HttpTransport()`.
  checkNeuronId(neuronId);
  checkLogger(logger);
  checkDelay('requestTimeoutMs', requestTimeoutMs);
  return { bridge, neuronId, logger: logger ?? silentLogger, requestTimeoutMs };
}

function invalid(message: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_OPTIONS', `IpcTransport: ${message}`);
}
