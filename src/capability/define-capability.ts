/**
 * `defineCapability()`: a capability described by its schemas, with the handler's types inferred
 * from them (reference, "defineCapability()"). Everything is checked here, schemas included, so a
 * mistake fails at the definition rather than at `handle()` or on the first lease.
 */
import { ConfigError } from '../errors.js';
import type { JsonSchema, Scope } from '../protocol/frames.js';
import {
  assertCapabilityType,
  assertConcurrency,
  assertDescription,
  assertLeaseTtlMs,
  assertScope,
  describe,
} from './capability-type.js';
import { compileJsonSchema, type SchemaContext, type Validator } from './validator.js';
import {
  fromZod,
  isZodSchema,
  type SchemaInput,
  type SchemaOutput,
  type ZodSchemaLike,
} from './zod.js';

/** A zod 3 / zod 4 schema, or a JSON Schema document. */
export type CapabilitySchema = ZodSchemaLike | JsonSchema;

/** What `defineCapability()` takes. */
export interface CapabilitySpec<
  TIn extends CapabilitySchema = CapabilitySchema,
  TOut extends CapabilitySchema = CapabilitySchema,
> {
  /** `{owner}/{package}[/{name}][.{variant}]`, e.g. `'acme/tools/echo'`. */
  type: string;
  description?: string;
  /** Validates each lease's input before the handler runs; a zod schema's output is what it sees. */
  input: TIn;
  /** Validates what the handler returns; a zod schema's output is what is acked. */
  output: TOut;
  /** Overridable at `handle()` time. @default 'any' */
  scope?: Scope;
  /** Handlers of this capability that may run at once; overridable at `handle()` time. @default 1 */
  concurrency?: number;
  /** Advertised on the register frame; the gateway decides lease lengths when absent. */
  leaseTtlMs?: number;
}

/** Marks definitions made by `defineCapability()`, across duplicate copies of the package too. */
export const capabilityDefinitionBrand: unique symbol = Symbol.for(
  '@holokai/neuron-sdk.capability-definition',
);

/**
 * A checked, frozen capability definition. `TInput` is what the handler receives (a zod input
 * schema's output type, after transforms), `TOutput` what it returns (a zod output schema's input
 * type); both are `unknown` for JSON Schema.
 */
export interface CapabilityDefinition<TInput = unknown, TOutput = unknown>
  extends Readonly<CapabilitySpec> {
  readonly [capabilityDefinitionBrand]: true;
  /** Carries the handler's types for inference; never set at run time. */
  readonly '~types'?: { readonly input: TInput; readonly output: TOutput };
}

/** What a handler of `D` receives. */
export type InferInput<D> = D extends CapabilityDefinition<infer I, unknown> ? I : never;
/** What a handler of `D` returns. */
export type InferOutput<D> = D extends CapabilityDefinition<unknown, infer O> ? O : never;

export interface CapabilityValidators {
  input: Validator;
  output: Validator;
}

/** Validators compiled at definition time, reused by every `handle()` of the same definition. */
const compiled = new WeakMap<object, CapabilityValidators>();

/**
 * Checks the fields and compiles both schemas now: throws `ConfigError`
 * (`NEURON_ERR_INVALID_CAPABILITY`, or `NEURON_ERR_SCHEMA_COMPILE`) on the first problem.
 */
export function defineCapability<TIn extends CapabilitySchema, TOut extends CapabilitySchema>(
  spec: CapabilitySpec<TIn, TOut>,
): CapabilityDefinition<SchemaOutput<TIn>, SchemaInput<TOut>> {
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_CAPABILITY',
      `defineCapability() takes { type, input, output, … }, got ${describe(spec)}`,
    );
  }
  const { type, description, input, output, scope, concurrency, leaseTtlMs } = spec;
  assertCapabilityType(type);
  assertDescription(description, type);
  if (scope !== undefined) assertScope(scope, type);
  if (concurrency !== undefined) assertConcurrency(concurrency, type);
  assertLeaseTtlMs(leaseTtlMs, type);
  const validators = compileValidators(type, input, output);

  const definition = Object.freeze({
    type,
    input,
    output,
    ...(description === undefined ? {} : { description }),
    ...(scope === undefined ? {} : { scope: copyScope(scope) }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
    [capabilityDefinitionBrand]: true as const,
  });
  compiled.set(definition, validators);
  return definition;
}

/** `true` for what `defineCapability()` returned (or a copy of it). */
export function isCapabilityDefinition(value: unknown): value is CapabilityDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [capabilityDefinitionBrand]?: unknown })[capabilityDefinitionBrand] === true
  );
}

/**
 * The definition's validators: those compiled by `defineCapability()`, or, for a spread copy or a
 * definition from another copy of the package, compiled now from its current schemas.
 */
export function definitionValidators(definition: CapabilityDefinition): CapabilityValidators {
  let validators = compiled.get(definition);
  if (validators === undefined) {
    validators = compileValidators(definition.type, definition.input, definition.output);
    compiled.set(definition, validators);
  }
  return validators;
}

function compileValidators(type: string, input: unknown, output: unknown): CapabilityValidators {
  return {
    input: compileSchema(input, { capabilityType: type, phase: 'input' }, true),
    output: compileSchema(output, { capabilityType: type, phase: 'output' }, true),
  };
}

/**
 * One schema to its validator. Raw registrations take JSON Schema only (`allowZod: false`): a zod
 * schema there is a misuse that deserves a pointer to `defineCapability()`.
 */
export function compileSchema(
  schema: unknown,
  context: SchemaContext,
  allowZod: boolean,
): Validator {
  const where = `capability '${context.capabilityType}'`;
  const expected = allowZod ? 'a zod schema or a JSON Schema' : 'a JSON Schema';
  if (isZodSchema(schema)) {
    if (allowZod) return fromZod(schema, context);
    throw new ConfigError(
      'NEURON_ERR_INVALID_CAPABILITY',
      `${where}: ${context.phase}Schema takes a JSON Schema, got a zod schema; use defineCapability({ type, ${context.phase}: schema, … }) for zod schemas`,
    );
  }
  if (typeof schema === 'boolean') return compileJsonSchema(schema, context);
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) {
    // Other Standard Schema libraries (valibot, arktype…) would pass for a JSON Schema of unknown
    // keywords, which ajv accepts as "anything": refuse them instead.
    const vendor = (schema as { '~standard'?: { vendor?: unknown } })['~standard']?.vendor;
    if (vendor === undefined) return compileJsonSchema(schema as JsonSchema, context);
    throw new ConfigError(
      'NEURON_ERR_INVALID_CAPABILITY',
      `${where}: the ${context.phase} schema is a '${String(vendor)}' schema; expected ${expected}`,
    );
  }
  throw new ConfigError(
    'NEURON_ERR_INVALID_CAPABILITY',
    `${where}: the ${context.phase} schema must be ${expected} (object or boolean), got ${describe(schema)}`,
  );
}

/** Keeps only the field the wire knows, and detaches the definition from the caller's object. */
export function copyScope(scope: Scope): Scope {
  return scope === 'any' ? scope : { onBehalfOf: scope.onBehalfOf };
}
