/**
 * `handle()`'s first argument, resolved once into what the neuron runs and advertises. Two shapes
 * are accepted (reference, "neuron.handle"): the raw `CapabilityRegistration` with JSON Schemas,
 * and a `defineCapability()` definition with optional per-deployment overrides.
 *
 * Schema precedence (reference, "Schema precedence"): each phase has exactly one validator, the
 * definition's schema (zod or JSON Schema) or else the registration's JSON Schema. The schemas that
 * ride on lease frames are never consulted. A capability with neither is not validated.
 */
import { ConfigError } from '../errors.js';
import type { CapabilityAdvertisement, JsonSchema, Scope } from '../protocol/frames.js';
import {
  assertCapabilityType,
  assertConcurrency,
  assertDescription,
  assertLeaseTtlMs,
  assertScope,
  describe,
} from './capability-type.js';
import {
  type CapabilityDefinition,
  type CapabilityValidators,
  compileSchema,
  copyScope,
  definitionValidators,
  isCapabilityDefinition,
} from './define-capability.js';
import type { Validator } from './validator.js';

/**
 * The low-level shape, for callers without zod. `scope` and `concurrency` are required here, as in
 * the reference; a JavaScript caller that leaves them out gets the same defaults as a definition.
 */
export interface CapabilityRegistration {
  /** `{owner}/{package}[/{name}][.{variant}]`, e.g. `'acme/tools/echo'`. */
  type: string;
  /** @default 'any' (at run time, when missing) */
  scope: Scope;
  /** Handlers of this capability that may run at once. @default 1 (at run time, when missing) */
  concurrency: number;
  /** Validated before the handler runs; a mismatch is nacked `schema-mismatch`. */
  inputSchema?: JsonSchema;
  /** Validated before the output is acked; a mismatch is nacked `schema-mismatch`. */
  outputSchema?: JsonSchema;
  description?: string;
  leaseTtlMs?: number;
}

/** Per-deployment values that win over the definition's (or registration's) own. */
export interface CapabilityOverrides {
  scope?: Scope;
  concurrency?: number;
}

/** A capability as the neuron serves it; nothing downstream re-applies defaults. */
export interface ResolvedCapability {
  readonly type: string;
  readonly scope: Scope;
  readonly concurrency: number;
  readonly description?: string;
  readonly leaseTtlMs?: number;
  /** `undefined`: the input is not validated. */
  readonly input: Validator | undefined;
  /** `undefined`: the output is only checked for JSON-serializability. */
  readonly output: Validator | undefined;
  /** This capability's entry in the register frame. */
  readonly advertisement: CapabilityAdvertisement;
}

const DEFAULT_SCOPE: Scope = 'any';
const DEFAULT_CONCURRENCY = 1;

/**
 * Checks and resolves a capability. Throws `ConfigError` (`NEURON_ERR_INVALID_CAPABILITY`, or
 * `NEURON_ERR_SCHEMA_COMPILE` for a JSON Schema that does not compile) saying what is wrong.
 */
export function resolveRegistration(
  source: CapabilityRegistration | CapabilityDefinition<unknown, unknown>,
  overrides?: CapabilityOverrides,
): ResolvedCapability {
  if (typeof source !== 'object' || source === null) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_CAPABILITY',
      `handle() takes a registration { type, scope, concurrency } or a defineCapability() definition, got ${describe(source)}`,
    );
  }
  const { type, description, leaseTtlMs } = source;
  assertCapabilityType(type);
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null)) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_CAPABILITY',
      `capability '${type}': overrides must be { scope?, concurrency? }, got ${describe(overrides)}`,
    );
  }
  const scope = firstDefined(overrides?.scope, source.scope, DEFAULT_SCOPE);
  const concurrency = firstDefined(overrides?.concurrency, source.concurrency, DEFAULT_CONCURRENCY);
  assertScope(scope, type);
  assertConcurrency(concurrency, type);
  assertDescription(description, type);
  assertLeaseTtlMs(leaseTtlMs, type);

  const { input, output } = isCapabilityDefinition(source)
    ? definitionValidators(source)
    : registrationValidators(source);
  const resolvedScope = copyScope(scope);
  return {
    type,
    scope: resolvedScope,
    concurrency,
    ...(description === undefined ? {} : { description }),
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
    input,
    output,
    advertisement: {
      type,
      scope: resolvedScope,
      concurrency,
      ...(description === undefined ? {} : { description }),
      ...(input?.jsonSchema === undefined ? {} : { inputSchema: input.jsonSchema }),
      ...(output?.jsonSchema === undefined ? {} : { outputSchema: output.jsonSchema }),
      ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
    },
  };
}

/** Defaults apply only to what is missing: an explicit `null` is checked (and refused), not replaced. */
function firstDefined<T>(override: T | undefined, own: T | undefined, fallback: T): T {
  if (override !== undefined) return override;
  return own === undefined ? fallback : own;
}

function registrationValidators(
  registration: CapabilityRegistration,
): Partial<CapabilityValidators> {
  const { type, inputSchema, outputSchema } = registration;
  if ('input' in registration || 'output' in registration) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_CAPABILITY',
      `capability '${type}' has input/output schemas but was not made by defineCapability(): wrap it in defineCapability({ type, input, output, … }), or pass JSON Schemas as inputSchema/outputSchema`,
    );
  }
  return {
    input:
      inputSchema === undefined
        ? undefined
        : compileSchema(inputSchema, { capabilityType: type, phase: 'input' }, false),
    output:
      outputSchema === undefined
        ? undefined
        : compileSchema(outputSchema, { capabilityType: type, phase: 'output' }, false),
  };
}
