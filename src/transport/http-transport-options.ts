/**
 * `HttpTransport`'s options, validated and defaulted once in its constructor; nothing
 * downstream re-applies a default. What it shares with `new Neuron()` is checked by the rules
 * of `shared-options.ts`.
 */
import type { NeuronLogger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { resolveGatewayBase } from './gateway-url.js';
import {
  checkAuth,
  checkDelay,
  checkLogger,
  checkNeuronId,
  checkReconnectPolicy,
  invalidOption,
} from './shared-options.js';
import type { AuthCallback, ReconnectPolicy } from './types.js';

/**
 * An undici `Dispatcher` (an `Agent`, `Pool` or `Client`), known by the one method the SDK relies
 * on. undici's own type would bring undici's types, and through them Node's, into every project
 * that imports the package root, browser ones included.
 */
export interface UndiciDispatcher {
  dispatch(options: never, handler: never): boolean;
}

export interface HttpTransportOptions {
  /** Base URL of the gateway; a trailing slash is tolerated and a base path kept. */
  gatewayUrl: string;
  neuronId: string;
  /** Supplies the bearer token; called for every request and every stream open. */
  auth: AuthCallback;
  /** @default silentLogger */
  logger?: NeuronLogger;
  /** Carried in `reconnectPolicy` for the neuron's connection machine; the transport never reconnects. */
  initialReconnectDelayMs?: number;
  /** Carried in `reconnectPolicy`, like `initialReconnectDelayMs`. */
  maxReconnectDelayMs?: number;
  /** Carried in `reconnectPolicy`, like `initialReconnectDelayMs`. */
  idleTimeoutMs?: number;
  /**
   * Used for POSTs and the stream open instead of the default client: undici in Node, the
   * global `fetch` elsewhere (override for tests and instrumentation).
   */
  fetch?: typeof fetch;
  /**
   * Node only: an undici dispatcher used instead of the transport's own Agent, and not closed
   * by `close()`. Outside Node the transport has no undici, and refuses it.
   */
  dispatcher?: UndiciDispatcher;
  /** Largest frame accepted on the stream, in UTF-8 bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /**
   * Per-request deadline for POSTs and the stream open, counted from before the request's `auth`
   * call: the call, the answer's headers and its body together. A callback still running then
   * fails that request.
   * @default 10000
   */
  requestTimeoutMs?: number;
  /** Allow `http://` to a host that is not loopback (the token then travels in clear). @default false */
  allowInsecure?: boolean;
}

export interface ResolvedHttpTransportOptions {
  /** `gatewayUrl`, always ending in `/`. */
  base: string;
  neuronId: string;
  auth: AuthCallback;
  logger: NeuronLogger;
  fetch: typeof fetch | undefined;
  dispatcher: UndiciDispatcher | undefined;
  maxFrameBytes: number;
  requestTimeoutMs: number;
  reconnectPolicy: Readonly<ReconnectPolicy>;
}

const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export function resolveHttpTransportOptions(
  options: HttpTransportOptions,
): ResolvedHttpTransportOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('HttpTransport needs an options object with gatewayUrl, neuronId and auth');
  }
  const { fetch, dispatcher, allowInsecure = false } = options;
  if (typeof allowInsecure !== 'boolean') throw invalidOption('allowInsecure must be a boolean');
  const base = resolveGatewayBase(options.gatewayUrl, allowInsecure);
  const neuronId = checkNeuronId(options.neuronId);
  const auth = checkAuth(options.auth);
  const logger = checkLogger(options.logger) ?? silentLogger;
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw invalidOption('fetch must be a fetch-compatible function');
  }
  if (dispatcher !== undefined && typeof dispatcher?.dispatch !== 'function') {
    throw invalidOption('dispatcher must be an undici Dispatcher (an Agent, Pool or Client)');
  }
  if (fetch !== undefined && dispatcher !== undefined) {
    throw invalidOption('give either fetch or dispatcher, not both: a custom fetch brings its own');
  }
  return {
    base,
    neuronId,
    auth,
    logger,
    fetch,
    dispatcher,
    maxFrameBytes: maxFrameBytes(options.maxFrameBytes),
    requestTimeoutMs:
      checkDelay('requestTimeoutMs', options.requestTimeoutMs) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    reconnectPolicy: checkReconnectPolicy(options),
  };
}

/** A size in bytes: a positive integer. */
function maxFrameBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    const got =
      typeof value === 'number' ? String(value) : `a ${value === null ? 'null' : typeof value}`;
    throw invalidOption(`maxFrameBytes must be a positive integer, got ${got}`);
  }
  return value;
}
