/**
 * The rules for what `new Neuron()` and `new HttpTransport()` both take (the neuron id, `auth`,
 * the logger, the reconnect options) and for every delay: one checker each, so both entry
 * points give a value the same verdict, in the same words.
 */
import { ConfigError } from '../errors.js';
import { MAX_TIMER_MS } from '../limits.js';
import type { NeuronLogger } from '../logger.js';
import type { AuthCallback, ReconnectPolicy } from './types.js';

export function invalidOption(message: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_OPTIONS', message);
}

/** A delay in ms that a timer can hold (Node fires a longer one after 1 ms); `undefined` if unset. */
export function checkDelay(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOption(
      `${name} must be a positive number of milliseconds, got ${describeValue(value)}`,
    );
  }
  if (value > MAX_TIMER_MS) {
    throw invalidOption(
      `${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`,
    );
  }
  return value;
}

/** The gateway correlates reconnects by it: blank would be no id at all. */
export function checkNeuronId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidOption(
      'neuronId must be a non-empty string that stays the same across restarts, e.g. worker-<hostname>',
    );
  }
  return value;
}

export function checkAuth(value: unknown): AuthCallback {
  if (typeof value !== 'function') {
    throw invalidOption(
      'auth must be a function returning the bearer token (or a promise of it), e.g. auth: () => process.env.BIGBRAIN_TOKEN',
    );
  }
  return value as AuthCallback;
}

/** Every level the SDK logs at must be callable; `undefined` (the caller's default) passes. */
export function checkLogger(value: unknown): NeuronLogger | undefined {
  if (value === undefined) return undefined;
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof (value as Partial<NeuronLogger> | null)?.[level] !== 'function') {
      throw invalidOption(
        `logger.${level} must be a function (pass a pino logger, or omit logger)`,
      );
    }
  }
  return value as NeuronLogger;
}

const RECONNECT_DEFAULTS: Readonly<Required<ReconnectPolicy>> = {
  initialReconnectDelayMs: 500,
  maxReconnectDelayMs: 30_000,
  idleTimeoutMs: 45_000,
};

type ReconnectOption = keyof ReconnectPolicy;
const RECONNECT_OPTIONS: readonly ReconnectOption[] = [
  'initialReconnectDelayMs',
  'maxReconnectDelayMs',
  'idleTimeoutMs',
];

/** Policies `checkReconnectPolicy` made: `reconnectSettings` need not check them again. */
const checkedPolicies = new WeakSet<ReconnectPolicy>();

/** `HttpTransport`'s reconnect options, checked and kept as given (`undefined` when not). */
export function checkReconnectPolicy(
  given: Readonly<Partial<Record<ReconnectOption, unknown>>>,
): Readonly<ReconnectPolicy> {
  const policy: ReconnectPolicy = {};
  for (const name of RECONNECT_OPTIONS) policy[name] = checkDelay(name, given[name]);
  checkBackoffOrder(policy);
  checkedPolicies.add(Object.freeze(policy));
  return policy;
}

/**
 * The neuron's reconnect settings: its own options over its transport's policy, then the
 * defaults. A value of a policy `checkReconnectPolicy` made is not checked again; one of another
 * transport's is. Their combination is checked as a whole, as the transport checked its own.
 */
export function reconnectSettings(
  own: Readonly<Partial<Record<ReconnectOption, unknown>>>,
  policy: ReconnectPolicy = {},
): Required<ReconnectPolicy> {
  const checked = checkedPolicies.has(policy);
  const merged: ReconnectPolicy = {};
  for (const name of RECONNECT_OPTIONS) {
    merged[name] =
      own[name] === undefined && checked
        ? policy[name]
        : checkDelay(name, own[name] ?? policy[name]);
  }
  checkBackoffOrder(merged);
  return {
    initialReconnectDelayMs:
      merged.initialReconnectDelayMs ?? RECONNECT_DEFAULTS.initialReconnectDelayMs,
    maxReconnectDelayMs: merged.maxReconnectDelayMs ?? RECONNECT_DEFAULTS.maxReconnectDelayMs,
    idleTimeoutMs: merged.idleTimeoutMs ?? RECONNECT_DEFAULTS.idleTimeoutMs,
  };
}

/** The backoff's ceiling not below its start, the defaults standing in for what is not given. */
function checkBackoffOrder(policy: ReconnectPolicy): void {
  const initial = policy.initialReconnectDelayMs ?? RECONNECT_DEFAULTS.initialReconnectDelayMs;
  const max = policy.maxReconnectDelayMs ?? RECONNECT_DEFAULTS.maxReconnectDelayMs;
  if (max >= initial) return;
  const of = (value: number, given: number | undefined) =>
    given === undefined ? `${value}, the default` : String(value);
  throw invalidOption(
    `maxReconnectDelayMs (${of(max, policy.maxReconnectDelayMs)}) must be ≥ ` +
      `initialReconnectDelayMs (${of(initial, policy.initialReconnectDelayMs)})`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'number' ? String(value) : `a ${typeof value}`;
}
