/**
 * Checks on the fields of a capability (PROTOCOL.md "Frames: neuron → server"). They run when a
 * capability is defined and again when it is registered, so a mistake surfaces at the line that
 * made it rather than as a 400 `INVALID_FRAME` from the gateway.
 */
import { ConfigError } from '../errors.js';
import type { Scope } from '../protocol/frames.js';

/** Shown in every type error, so the fix is one glance away. */
const EXAMPLE_TYPE = "'acme/tools/echo'";
const TYPE_GRAMMAR = "'{owner}/{package}[/{name}][.{variant}]'";
/**
 * Anything but a segment character or the separator. ASCII only: PROTOCOL.md's "letters" are read
 * as A–Z/a–z, the safe reading for a gateway that matches them byte-wise.
 */
const FORBIDDEN_CHAR = /[^A-Za-z0-9_.\-/]/;

/**
 * What is wrong with `value` as a capability type, or `undefined` when it is valid:
 * `/`-separated segments of letters, digits, `_`, `-` and `.`, at least two, none empty.
 */
function capabilityTypeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return `capability type must be a string like ${EXAMPLE_TYPE}, got ${describe(value)}`;
  }
  if (value === '') {
    return `capability type is empty; expected ${TYPE_GRAMMAR}, e.g. ${EXAMPLE_TYPE}`;
  }
  const bad = FORBIDDEN_CHAR.exec(value);
  if (bad) {
    return `capability type '${value}' contains ${JSON.stringify(bad[0])}: segments may only use letters, digits, '_', '-' and '.', e.g. ${EXAMPLE_TYPE}`;
  }
  const segments = value.split('/');
  if (segments.some((segment) => segment === '')) {
    return `capability type '${value}' has an empty segment (a leading, trailing or doubled '/'), e.g. ${EXAMPLE_TYPE}`;
  }
  if (segments.length < 2) {
    return `capability type '${value}' needs at least two '/'-separated segments, ${TYPE_GRAMMAR}, e.g. ${EXAMPLE_TYPE}`;
  }
  return undefined;
}

/** `true` when `value` is a well-formed capability type such as `'acme/tools/echo'`. */
export function isCapabilityType(value: unknown): value is string {
  return capabilityTypeProblem(value) === undefined;
}

/** Throws `ConfigError` (`NEURON_ERR_INVALID_CAPABILITY`) saying what is wrong with `value`. */
export function assertCapabilityType(value: unknown): asserts value is string {
  const problem = capabilityTypeProblem(value);
  if (problem !== undefined) throw new ConfigError('NEURON_ERR_INVALID_CAPABILITY', problem);
}

/** `'any'`, or `{ onBehalfOf }` with a non-blank user id. */
export function assertScope(scope: unknown, capabilityType: string): asserts scope is Scope {
  if (scope === 'any') return;
  if (typeof scope === 'object' && scope !== null && 'onBehalfOf' in scope) {
    const { onBehalfOf } = scope;
    if (typeof onBehalfOf === 'string' && onBehalfOf.trim() !== '') return;
    invalid(
      capabilityType,
      `scope.onBehalfOf must be a non-empty user id string, got ${describe(onBehalfOf)}`,
    );
  }
  invalid(
    capabilityType,
    `scope must be 'any' or { onBehalfOf: '<userId>' }, got ${describe(scope)}`,
  );
}

/** An integer ≥ 1: how many handlers of the capability may run at once. */
export function assertConcurrency(
  concurrency: unknown,
  capabilityType: string,
): asserts concurrency is number {
  if (typeof concurrency === 'number' && Number.isSafeInteger(concurrency) && concurrency >= 1) {
    return;
  }
  invalid(capabilityType, `concurrency must be an integer ≥ 1, got ${describe(concurrency)}`);
}

/** A positive integer number of milliseconds; the field itself is optional. */
export function assertLeaseTtlMs(
  leaseTtlMs: unknown,
  capabilityType: string,
): asserts leaseTtlMs is number | undefined {
  if (leaseTtlMs === undefined) return;
  if (typeof leaseTtlMs === 'number' && Number.isSafeInteger(leaseTtlMs) && leaseTtlMs >= 1) {
    return;
  }
  invalid(
    capabilityType,
    `leaseTtlMs must be a positive integer (ms), got ${describe(leaseTtlMs)}`,
  );
}

/** A string when present; it is shown to the planner as is. */
export function assertDescription(
  description: unknown,
  capabilityType: string,
): asserts description is string | undefined {
  if (description === undefined || typeof description === 'string') return;
  invalid(capabilityType, `description must be a string, got ${describe(description)}`);
}

function invalid(capabilityType: string, problem: string): never {
  throw new ConfigError(
    'NEURON_ERR_INVALID_CAPABILITY',
    `capability '${capabilityType}': ${problem}`,
  );
}

/** A short rendering of a bad value for an error message; never throws. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value !== 'object' || value === null)
    return String(value);
  if (Array.isArray(value)) return 'an array';
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return 'an object';
  }
}
