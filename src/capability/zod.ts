/**
 * zod schemas as capability validators. zod is an optional peer dependency, so nothing here imports
 * it: schemas are recognised by shape, validated through their own `safeParse`, and described as
 * JSON Schema by code loaded only when a zod schema is actually given.
 *
 * zod is authoritative at run time (reference, "Schema precedence"): its refinements and transforms
 * run, and its parsed value is what the handler sees and what goes on the wire. The JSON Schema is
 * only a description for the register frame (draft-07, what zod-to-json-schema has always emitted).
 */
import { loadModule } from '#platform/load-module';
import { ConfigError } from '../errors.js';
import type { JsonSchema, SchemaErrorDetail } from '../protocol/frames.js';
import {
  boundErrors,
  escapePointer,
  type SchemaContext,
  type SchemaPhase,
  type Validator,
} from './validator.js';

/** The one method the SDK calls on a zod schema; zod 3, zod 4 and zod 4 mini all have it. */
export interface ZodSchemaLike {
  safeParse(data: unknown): unknown;
}

/** The value a zod schema produces: zod 4 keeps it on `_zod.output`, zod 3 on `_output`. */
export type SchemaOutput<S> = S extends { _zod: { output: infer O } }
  ? O
  : S extends { _output: infer O }
    ? O
    : unknown;

/** The value a zod schema accepts: zod 4 keeps it on `_zod.input`, zod 3 on `_input`. */
export type SchemaInput<S> = S extends { _zod: { input: infer I } }
  ? I
  : S extends { _input: infer I }
    ? I
    : unknown;

/** What `safeParse` returns in zod 3 and zod 4. */
interface SafeParseResult {
  success: boolean;
  data?: unknown;
  error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> };
}

/** zod 4 (classic and mini) schemas carry `_zod`; zod 3 schemas carry `_def`; both `safeParse`. */
export function isZodSchema(value: unknown): value is ZodSchemaLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function' &&
    ('_zod' in value || '_def' in value)
  );
}

/**
 * A validator backed by a zod 3 (≥ 3.23) or zod 4 schema. The JSON Schema projection is made now,
 * so a schema that cannot be described fails at definition time, like a JSON Schema that does not
 * compile (`NEURON_ERR_SCHEMA_COMPILE`).
 */
export function fromZod<S extends ZodSchemaLike>(
  schema: S,
  context: SchemaContext,
): Validator<SchemaOutput<S>> {
  const jsonSchema = describeAsJsonSchema(schema, context);
  return {
    jsonSchema,
    validate(value) {
      const result = schema.safeParse(value) as SafeParseResult;
      if (result.success) return { ok: true, value: result.data as SchemaOutput<S> };
      return { ok: false, errors: boundErrors((result.error?.issues ?? []).map(toErrorDetail)) };
    },
  };
}

/** zod paths are key arrays; the wire wants JSON pointers (`['a', 0, 'b']` → `/a/0/b`). */
function toErrorDetail(issue: {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}): SchemaErrorDetail {
  const segments = issue.path.map((key) =>
    escapePointer(typeof key === 'symbol' ? (key.description ?? '') : String(key)),
  );
  return { path: segments.length === 0 ? '/' : `/${segments.join('/')}`, message: issue.message };
}

// ---- JSON Schema projection ------------------------------------------------------------------------

/**
 * The input schema is described by what it accepts, the output schema by what it sends: each side
 * of a transform or pipe is the one that matters for that phase. What JSON Schema cannot express
 * (a transform's result, a BigInt, a Date on zod 4) becomes `{}`, "anything".
 */
function describeAsJsonSchema(schema: object, context: SchemaContext): JsonSchema {
  try {
    return '_zod' in schema
      ? zod4JsonSchema(schema, context.phase)
      : zod3JsonSchema(schema, context.phase);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      'NEURON_ERR_SCHEMA_COMPILE',
      `capability '${context.capabilityType}': the ${context.phase} zod schema cannot be described as JSON Schema: ${reason}`,
      { cause: error },
    );
  }
}

interface StandardJsonSchemaConverter {
  input(options: { target: string; libraryOptions?: Record<string, unknown> }): JsonSchema;
  output(options: { target: string; libraryOptions?: Record<string, unknown> }): JsonSchema;
}

interface Zod4Core {
  toJSONSchema(schema: unknown, params: Record<string, unknown>): JsonSchema;
}

/**
 * zod ≥ 4.2 classic schemas implement Standard JSON Schema (`~standard.jsonSchema`), which needs
 * no module of ours to reach. zod 4.0/4.1 and zod mini only offer the standalone converter of zod's
 * core, loaded here from the zod the application installed (it is our peer dependency).
 */
function zod4JsonSchema(schema: object, phase: SchemaPhase): JsonSchema {
  const converter = (schema as { '~standard'?: { jsonSchema?: StandardJsonSchemaConverter } })[
    '~standard'
  ]?.jsonSchema;
  if (converter) {
    return converter[phase]({ target: 'draft-07', libraryOptions: { unrepresentable: 'any' } });
  }
  const core = loadModule('zod/v4/core') as Zod4Core;
  // 'draft-7' is the 4.0 spelling; later versions accept it as an alias of 'draft-07'.
  return core.toJSONSchema(schema, { target: 'draft-7', io: phase, unrepresentable: 'any' });
}

interface ZodToJsonSchemaModule {
  zodToJsonSchema(schema: unknown, options: Record<string, unknown>): JsonSchema;
  ignoreOverride: symbol;
}

/** The `_def` of a zod 3 schema, as far as the output projection looks at it. */
interface Zod3Def {
  typeName?: string;
  effect?: { type?: string };
}

/**
 * zod 3 has no converter of its own: zod-to-json-schema (our dependency) does it. That package
 * imports `zod/v3`, which exists from zod 3.25 on, hence the lazy load: an application without
 * zod, or with zod 4 only, never loads it.
 */
function zod3JsonSchema(schema: object, phase: SchemaPhase): JsonSchema {
  const { zodToJsonSchema, ignoreOverride } = loadZodToJsonSchema();
  const options =
    phase === 'input'
      ? {
          pipeStrategy: 'input',
          effectStrategy: 'input',
          // zod strips unknown keys of an input rather than refusing them: say nothing about them.
          removeAdditionalStrategy: 'strict',
          allowedAdditionalProperties: undefined,
        }
      : {
          pipeStrategy: 'output',
          // A refinement or preprocess sends its inner schema's value; a transform sends anything.
          override: (def: Zod3Def) =>
            def.typeName === 'ZodEffects' && def.effect?.type === 'transform' ? {} : ignoreOverride,
        };
  return zodToJsonSchema(schema, { target: 'jsonSchema7', ...options });
}

function loadZodToJsonSchema(): ZodToJsonSchemaModule {
  try {
    return loadModule('zod-to-json-schema') as ZodToJsonSchemaModule;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `zod-to-json-schema could not be loaded (${reason}); describing zod 3 schemas needs zod ≥ 3.25`,
      { cause: error },
    );
  }
}
