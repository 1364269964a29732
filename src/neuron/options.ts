import { defaultLogger } from '#platform/default-logger';
import type { ReconnectSettings } from '../../machines/connection.js';
import { ConfigError } from '../errors.js';
import { MAX_TIMER_MS } from '../limits.js';
import { type NeuronLogger, silentLogger } from '../logger.js';
import type { UndiciDispatcher } from '../transport/http-transport-options.js';
import type { AuthCallback, Transport } from '../transport/types.js';

export interface NeuronCommonOptions {
  /** Stable per process or device; the gateway correlates reconnects by it. */
  neuronId: string;
  /**
   * pino, or anything with pino's `(meta, msg)` methods; `false` for silence.
   * @default warnings and errors as JSON lines on stderr (pino, level `NEURON_LOG_LEVEL` or
   * `warn`); on the console outside Node
   */
  logger?: NeuronLogger | false;
  /** @default 10_000 (a `registered` frame may override it) */
  heartbeatIntervalMs?: number;
  /** How long a cancelled handler may take to settle before `cancelled` is posted anyway. @default 5_000 */
  cancelGraceMs?: number;
  /** The TTL assumed for a lease frame without a valid `expiresAt`. @default 30_000 */
  defaultLeaseTtlMs?: number;
  /** After `stop()` aborts what still runs, how long it waits for those nacks to be delivered. @default 2_000 */
  shutdownGraceMs?: number;
  /** @default 500 */
  initialReconnectDelayMs?: number;
  /** @default 30_000 */
  maxReconnectDelayMs?: number;
  /** A stream that delivers no bytes this long is dead: close it and reconnect. @default 45_000 */
  idleTimeoutMs?: number;
}

/** The usual shape: the neuron builds an `HttpTransport`. */
export interface NeuronOptionsWithHttp extends NeuronCommonOptions {
  /** Base URL, e.g. `https://bigbrain.example.com`; a trailing slash is tolerated. */
  gatewayUrl: string;
  /** Called for every POST and every SSE open. */
  auth: AuthCallback;
  /** Used for every request instead of undici when given. */
  fetch?: typeof fetch;
  /** An undici dispatcher to use instead of the transport's own keep-alive agent. */
  dispatcher?: UndiciDispatcher;
  /** Frames larger than this are rejected. @default 16 MiB */
  maxFrameBytes?: number;
  /** Per-request timeout of POSTs and the stream open, their `auth` call included. @default 10_000 */
  requestTimeoutMs?: number;
  /** Allow `http://` to a host that is not loopback. @default false */
  allowInsecure?: boolean;
  transport?: never;
}

/** Bring your own transport (a custom one, or an `HttpTransport` built explicitly). */
export interface NeuronOptionsWithTransport extends NeuronCommonOptions {
  transport: Transport;
  gatewayUrl?: never;
  auth?: never;
}

export type NeuronOptions = NeuronOptionsWithHttp | NeuronOptionsWithTransport;

/** Options once checked and defaulted; nothing downstream re-applies defaults. */
export interface ResolvedOptions {
  neuronId: string;
  logger: NeuronLogger;
  heartbeatIntervalMs: number;
  cancelGraceMs: number;
  defaultLeaseTtlMs: number;
  shutdownGraceMs: number;
  reconnect: ReconnectSettings;
}

const defaults = {
  heartbeatIntervalMs: 10_000,
  cancelGraceMs: 5_000,
  defaultLeaseTtlMs: 30_000,
  shutdownGraceMs: 2_000,
  initialReconnectDelayMs: 500,
  maxReconnectDelayMs: 30_000,
  idleTimeoutMs: 45_000,
} as const;

/** A delay in ms that a timer can hold: a longer one would fire at once. */
function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      `new Neuron(): ${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}`,
    );
  }
  if (value > MAX_TIMER_MS) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      `new Neuron(): ${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`,
    );
  }
  return value;
}

/** The logger option: `false` is silence, nothing is the default logger (one per process). */
export function resolveLogger(logger: NeuronLogger | false | undefined): NeuronLogger {
  if (logger === false) return silentLogger;
  return logger ?? defaultLogger();
}

/** Check the options that do not belong to the transport and fill in the defaults. */
export function resolveOptions(options: NeuronOptions, transport?: Transport): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'new Neuron() needs an options object: { gatewayUrl, neuronId, auth } or { neuronId, transport }',
    );
  }
  if (typeof options.neuronId !== 'string' || options.neuronId.trim() === '') {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'new Neuron(): neuronId must be a non-empty string that stays the same across restarts, e.g. worker-<hostname>',
    );
  }
  const logger = resolveLogger(options.logger);
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof logger[level] !== 'function') {
      throw new ConfigError(
        'NEURON_ERR_INVALID_OPTIONS',
        `new Neuron(): logger.${level} must be a function (pass a pino logger, or omit logger)`,
      );
    }
  }
  const policy = transport?.reconnectPolicy ?? {};
  const reconnect: ReconnectSettings = {
    initialReconnectDelayMs: positive(
      'initialReconnectDelayMs',
      options.initialReconnectDelayMs ?? policy.initialReconnectDelayMs,
      defaults.initialReconnectDelayMs,
    ),
    maxReconnectDelayMs: positive(
      'maxReconnectDelayMs',
      options.maxReconnectDelayMs ?? policy.maxReconnectDelayMs,
      defaults.maxReconnectDelayMs,
    ),
    idleTimeoutMs: positive(
      'idleTimeoutMs',
      options.idleTimeoutMs ?? policy.idleTimeoutMs,
      defaults.idleTimeoutMs,
    ),
  };
  if (reconnect.maxReconnectDelayMs < reconnect.initialReconnectDelayMs) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      `new Neuron(): maxReconnectDelayMs (${reconnect.maxReconnectDelayMs}) must not be below initialReconnectDelayMs (${reconnect.initialReconnectDelayMs})`,
    );
  }
  return {
    neuronId: options.neuronId,
    logger,
    heartbeatIntervalMs: positive(
      'heartbeatIntervalMs',
      options.heartbeatIntervalMs,
      defaults.heartbeatIntervalMs,
    ),
    cancelGraceMs: positive('cancelGraceMs', options.cancelGraceMs, defaults.cancelGraceMs),
    defaultLeaseTtlMs: positive(
      'defaultLeaseTtlMs',
      options.defaultLeaseTtlMs,
      defaults.defaultLeaseTtlMs,
    ),
    shutdownGraceMs: positive('shutdownGraceMs', options.shutdownGraceMs, defaults.shutdownGraceMs),
    reconnect,
  };
}

/** Which shape the caller used; both, or neither, is a mistake worth a clear message. */
export function isTransportShape(options: NeuronOptions): options is NeuronOptionsWithTransport {
  const hasTransport =
    typeof options === 'object' && options !== null && options.transport !== undefined;
  const hasUrl =
    typeof options === 'object' && options !== null && options.gatewayUrl !== undefined;
  if (hasTransport && hasUrl) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'new Neuron(): pass either gatewayUrl + auth or transport, not both',
    );
  }
  if (hasTransport) {
    const t = options.transport as Partial<Transport>;
    for (const method of ['subscribe', 'start', 'stop', 'post', 'isConnected'] as const) {
      if (typeof t[method] !== 'function') {
        throw new ConfigError(
          'NEURON_ERR_INVALID_OPTIONS',
          `new Neuron(): transport.${method} must be a function (a Transport implements subscribe, start, stop, post and isConnected)`,
        );
      }
    }
    return true;
  }
  if (!hasUrl) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'new Neuron(): gatewayUrl is required (e.g. https://bigbrain.example.com), or pass a transport',
    );
  }
  if (typeof (options as NeuronOptionsWithHttp).auth !== 'function') {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'new Neuron(): auth must be a function returning the bearer token (or a promise of it), e.g. auth: () => process.env.BIGBRAIN_TOKEN',
    );
  }
  return false;
}
