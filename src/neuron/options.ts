import { defaultLogger } from '#platform/default-logger';
import type { ReconnectSettings } from '../../machines/connection.js';
import { ConfigError } from '../errors.js';
import { type NeuronLogger, silentLogger } from '../logger.js';
import type { UndiciDispatcher } from '../transport/http-transport-options.js';
import {
  checkDelay,
  checkLogger,
  checkNeuronId,
  reconnectSettings,
} from '../transport/shared-options.js';
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
} as const;

/** The logger option: `false` is silence, nothing is the default logger (one per process). */
export function resolveLogger(logger: NeuronLogger | false | undefined): NeuronLogger {
  if (logger === false) return silentLogger;
  return logger ?? defaultLogger();
}

/**
 * Check the options that do not belong to the transport and fill in the defaults; the ones
 * shared with `HttpTransport` by the rules of `shared-options.ts`. `transport` is the caller's
 * (`options.transport`) or, without one, the `HttpTransport` the neuron built from these very
 * options, which has checked their neuron id and logger: those are not checked twice.
 */
export function resolveOptions(options: NeuronOptions, transport: Transport): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'new Neuron() needs an options object: { gatewayUrl, neuronId, auth } or { neuronId, transport }',
    );
  }
  const builtFromOptions = options.transport === undefined;
  const logger = resolveLogger(options.logger);
  if (!builtFromOptions) {
    checkNeuronId(options.neuronId);
    checkLogger(logger);
  }
  const delay = (name: keyof typeof defaults): number =>
    checkDelay(name, options[name]) ?? defaults[name];
  return {
    neuronId: options.neuronId,
    logger,
    heartbeatIntervalMs: delay('heartbeatIntervalMs'),
    cancelGraceMs: delay('cancelGraceMs'),
    defaultLeaseTtlMs: delay('defaultLeaseTtlMs'),
    shutdownGraceMs: delay('shutdownGraceMs'),
    reconnect: reconnectSettings(options, transport.reconnectPolicy),
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
  // `auth`, like every option the neuron hands to the `HttpTransport` it builds, is the
  // transport's to check.
  return false;
}
