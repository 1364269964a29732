import { ConfigError } from '../errors.js';
import type { CapabilityAdvertisement, RegisterFrame } from '../protocol/frames.js';
import { type ResolvedIdentityOptions, resolveIdentityOptions } from './identity/options.js';
import type { IdentityOptions } from './identity/types.js';

/** A refusal returned by a policy hook: the `code` and `message` the gateway answers with. */
export interface Refusal {
  code: string;
  message?: string;
}

/** Options of {@link createDevGateway}. Every one is optional. */
export interface DevGatewayOptions {
  /**
   * Interface to bind. Loopback by default: the dev gateway has no business on a network.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port to listen on; `0` picks a free one (read it from `gw.url`).
   * @default 0
   */
  port?: number;
  /**
   * When set, every request (SSE open included) must carry `Authorization: Bearer <token>`,
   * else it is answered `401 UNAUTHORIZED`. Ignored when `acceptToken` is set. With `identity`,
   * this static dev token is accepted beside the provider's JWTs, as a `kind: "service"` identity.
   * @default undefined (no authentication)
   */
  token?: string;
  /**
   * Decides whether a bearer token is accepted (a request without one is refused). Takes
   * precedence over `token`; lets a test rotate tokens.
   * @default undefined
   */
  acceptToken?: (token: string) => boolean;
  /**
   * Interval of the `: ping` keep-alive comment on every SSE stream.
   * @default 15000
   */
  pingIntervalMs?: number;
  /**
   * TTL of a lease when neither the task nor the capability's advertisement sets one.
   * A heartbeat that lists the lease pushes `expiresAt` to now + TTL.
   * @default 30000
   */
  leaseTtlMs?: number;
  /**
   * Deliveries a task gets when `submitTask` does not say: a retryable nack or a lost lease
   * on the last one fails the task.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * How long a task waits after a retryable nack before it goes back in the queue: `initialMs`
   * after the first failed attempt, times `multiplier` after each next one, at most `maxMs` — as
   * a production gateway spaces retries, so a flaky upstream is not hammered three times in a
   * second. `false` (or `initialMs: 0`) requeues at once. Nacks coded `SHUTDOWN`,
   * `UNKNOWN_CAPABILITY` or `CAPABILITY_REVOKED` (the neuron, not the task, is the problem) and
   * lost leases are requeued at once.
   * @default { initialMs: 1000, multiplier: 2, maxMs: 30000 }
   */
  retryBackoff?: RetryBackoff | false;
  /**
   * How long a neuron's session and leases outlive its stream. A re-open within it keeps
   * them (and replays, with `Last-Event-ID`); past it the session is dropped and its leases
   * are reclaimed.
   * @default 5000
   */
  resumeWindowMs?: number;
  /**
   * Events with an `id` kept per neuron for replay on resume (oldest dropped first).
   * @default 256
   */
  replayBufferSize?: number;
  /**
   * Sent as `heartbeatIntervalMs` in every `registered` frame when set.
   * @default undefined (the frame carries none; the SDK uses its own)
   */
  heartbeatIntervalMs?: number;
  /**
   * How often expired leases and sessions past the resume window are reclaimed.
   * @default 250
   */
  reaperIntervalMs?: number;
  /**
   * Largest POST body accepted; a larger one is answered `413`.
   * @default 33554432 (32 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Called for each advertised capability at registration; a refusal puts it in the
   * `registered` frame's `rejected` list instead of the effective set.
   * @default undefined (every capability is accepted)
   */
  capabilityPolicy?: (neuronId: string, capability: CapabilityAdvertisement) => Refusal | undefined;
  /**
   * Called for every well-formed register frame; a refusal answers it `403` with that code
   * (`CAPABILITY_DENIED`, `NAMESPACE_FORBIDDEN`…). For a one-off, `gw.failNext('register')`.
   * @default undefined (every registration is accepted)
   */
  registerPolicy?: (frame: RegisterFrame) => Refusal | undefined;
  /**
   * Prefix of the lease ids this gateway issues (`l-1`, `l-2`…). Lease ids must never repeat for
   * a neuron (it ignores a lease id it has already settled), so a gateway restarted in front of
   * a neuron that outlived it needs a prefix of its own, e.g. `l-<boot time>-`.
   * @default 'l-'
   */
  leaseIdPrefix?: string;
  /**
   * Serves the inspection and control API under `/__dev__/…` (submit, list and cancel tasks,
   * revoke, disconnect, an SSE stream of gateway events). It has no authentication, so keep
   * the gateway on loopback while it is on.
   * @default true
   */
  devApi?: boolean;
  /**
   * Runs an identity provider (AUTH.md, "Moku's part") at `{url}/moku` — device flow, client
   * registration, client_credentials tokens, JWKS — and makes the gateway check every neuron
   * request's bearer JWT against it (AUTH.md §5), the namespace table included. `true` takes
   * every default. See `gw.identity`.
   * @default false
   */
  identity?: boolean | IdentityOptions;
  /**
   * Folder that keeps the identity provider's signing key and enrolled clients across restarts
   * (created `0700`, files `0600`). Only with `identity`.
   * @default undefined (in memory: a restart forgets them)
   */
  stateDir?: string;
}

/** The spacing of retries after a retryable nack; see {@link DevGatewayOptions.retryBackoff}. */
export interface RetryBackoff {
  /** @default 1000 */
  initialMs?: number;
  /** @default 2 */
  multiplier?: number;
  /** @default 30000 */
  maxMs?: number;
}

/** Options with every default applied, resolved once by {@link resolveOptions}. */
export interface ResolvedOptions
  extends Required<
    Omit<
      DevGatewayOptions,
      | 'token'
      | 'acceptToken'
      | 'heartbeatIntervalMs'
      | 'capabilityPolicy'
      | 'registerPolicy'
      | 'identity'
      | 'stateDir'
      | 'retryBackoff'
    >
  > {
  retryBackoff: Required<RetryBackoff>;
  identity: ResolvedIdentityOptions | undefined;
  stateDir: string | undefined;
  acceptToken: ((token: string) => boolean) | undefined;
  heartbeatIntervalMs: number | undefined;
  capabilityPolicy: DevGatewayOptions['capabilityPolicy'];
  registerPolicy: DevGatewayOptions['registerPolicy'];
}

const positive = [
  'pingIntervalMs',
  'leaseTtlMs',
  'maxAttempts',
  'replayBufferSize',
  'reaperIntervalMs',
  'maxBodyBytes',
] as const;

/** Applies the defaults and checks the numbers; throws `ConfigError` on a bad option. */
export function resolveOptions(options: DevGatewayOptions = {}): ResolvedOptions {
  const token = options.token;
  const resolved: ResolvedOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    acceptToken:
      options.acceptToken ?? (token === undefined ? undefined : (given) => given === token),
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    leaseTtlMs: options.leaseTtlMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? 3,
    retryBackoff: resolveBackoff(options.retryBackoff),
    resumeWindowMs: options.resumeWindowMs ?? 5_000,
    replayBufferSize: options.replayBufferSize ?? 256,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    reaperIntervalMs: options.reaperIntervalMs ?? 250,
    maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
    capabilityPolicy: options.capabilityPolicy,
    registerPolicy: options.registerPolicy,
    devApi: options.devApi ?? true,
    leaseIdPrefix: options.leaseIdPrefix ?? 'l-',
    identity: resolveIdentityOptions(options.identity),
    stateDir: options.stateDir,
  };
  for (const name of positive) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1) {
      throw invalid(`${name} must be an integer >= 1, got ${String(resolved[name])}`);
    }
  }
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65_535) {
    throw invalid(`port must be an integer in 0..65535, got ${String(resolved.port)}`);
  }
  if (!(resolved.resumeWindowMs >= 0)) {
    throw invalid(`resumeWindowMs must be >= 0, got ${String(resolved.resumeWindowMs)}`);
  }
  const hb = resolved.heartbeatIntervalMs;
  if (hb !== undefined && !(Number.isInteger(hb) && hb >= 1)) {
    throw invalid(`heartbeatIntervalMs must be an integer >= 1, got ${String(hb)}`);
  }
  if (typeof resolved.leaseIdPrefix !== 'string') {
    throw invalid('leaseIdPrefix must be a string');
  }
  if (resolved.stateDir !== undefined && !resolved.identity) {
    throw invalid("stateDir keeps the identity provider's state: pass identity too");
  }
  if (
    resolved.stateDir !== undefined &&
    (typeof resolved.stateDir !== 'string' || !resolved.stateDir)
  ) {
    throw invalid('stateDir must be a folder path');
  }
  if (token !== undefined && token === '') {
    throw invalid('token must be a non-empty string (omit it to turn authentication off)');
  }
  return resolved;
}

function resolveBackoff(backoff: RetryBackoff | false | undefined): Required<RetryBackoff> {
  if (backoff === false) return { initialMs: 0, multiplier: 1, maxMs: 0 };
  if (backoff !== undefined && (typeof backoff !== 'object' || backoff === null)) {
    throw invalid('retryBackoff must be an object { initialMs, multiplier, maxMs } or false');
  }
  const resolved = { initialMs: 1_000, multiplier: 2, maxMs: 30_000, ...backoff };
  for (const [name, value] of Object.entries(resolved)) {
    const min = name === 'multiplier' ? 1 : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw invalid(`retryBackoff.${name} must be a number >= ${min}, got ${String(value)}`);
    }
  }
  return resolved;
}

/** The wait before the next delivery of a task whose `attempts`-th delivery was nacked retryable. */
export function retryDelayMs(backoff: Required<RetryBackoff>, attempts: number): number {
  const delay = backoff.initialMs * backoff.multiplier ** Math.max(0, attempts - 1);
  return Math.min(backoff.maxMs, Math.round(delay));
}

function invalid(message: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_OPTIONS', `dev gateway: ${message}`);
}
