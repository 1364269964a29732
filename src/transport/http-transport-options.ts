/**
 * `HttpTransport`'s options, validated and defaulted once in its constructor; nothing
 * downstream re-applies a default.
 */
import { ConfigError } from '../errors.js';
import { MAX_TIMER_MS } from '../limits.js';
import type { NeuronLogger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { resolveGatewayBase } from './gateway-url.js';
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
    throw invalid('HttpTransport needs an options object with gatewayUrl, neuronId and auth');
  }
  const { neuronId, auth, logger, fetch, dispatcher, allowInsecure = false } = options;
  if (typeof allowInsecure !== 'boolean') throw invalid('allowInsecure must be a boolean');
  const base = resolveGatewayBase(options.gatewayUrl, allowInsecure);
  if (typeof neuronId !== 'string' || neuronId === '') {
    throw invalid('neuronId must be a non-empty string naming this neuron, e.g. "worker-1"');
  }
  if (typeof auth !== 'function') {
    throw invalid('auth must be a function returning the bearer token (or a promise of it)');
  }
  if (logger !== undefined && (typeof logger !== 'object' || typeof logger.debug !== 'function')) {
    throw invalid('logger must be a pino-compatible logger with debug/info/warn/error methods');
  }
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw invalid('fetch must be a fetch-compatible function');
  }
  if (dispatcher !== undefined && typeof dispatcher?.dispatch !== 'function') {
    throw invalid('dispatcher must be an undici Dispatcher (an Agent, Pool or Client)');
  }
  if (fetch !== undefined && dispatcher !== undefined) {
    throw invalid('give either fetch or dispatcher, not both: a custom fetch brings its own');
  }
  const initial = duration(options, 'initialReconnectDelayMs');
  const max = duration(options, 'maxReconnectDelayMs');
  if (initial !== undefined && max !== undefined && max < initial) {
    throw invalid(`maxReconnectDelayMs (${max}) must be ≥ initialReconnectDelayMs (${initial})`);
  }
  return {
    base,
    neuronId,
    auth,
    logger: logger ?? silentLogger,
    fetch,
    dispatcher,
    maxFrameBytes: positiveInteger(options, 'maxFrameBytes') ?? DEFAULT_MAX_FRAME_BYTES,
    requestTimeoutMs: duration(options, 'requestTimeoutMs') ?? DEFAULT_REQUEST_TIMEOUT_MS,
    reconnectPolicy: Object.freeze({
      initialReconnectDelayMs: initial,
      maxReconnectDelayMs: max,
      idleTimeoutMs: duration(options, 'idleTimeoutMs'),
    }),
  };
}

type NumericOption = {
  [K in keyof HttpTransportOptions]-?: number extends HttpTransportOptions[K] ? K : never;
}[keyof HttpTransportOptions];

function positiveInteger(options: HttpTransportOptions, name: NumericOption): number | undefined {
  const value: unknown = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(`${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** A delay in ms: a positive integer that Node's timers can hold. */
function duration(options: HttpTransportOptions, name: NumericOption): number | undefined {
  const value = positiveInteger(options, name);
  if (value !== undefined && value > MAX_TIMER_MS) {
    throw invalid(`${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

function invalid(message: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_OPTIONS', message);
}
