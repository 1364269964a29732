/**
 * The validator contract shared by JSON Schema (ajv) and zod capabilities, the ajv side of it, and
 * the JSON-serializability check run on every output before it is acked (PROTOCOL.md "Schemas",
 * "Lease semantics").
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ConfigError } from '../errors.js';
import type { JsonSchema, SchemaErrorDetail, SchemaMismatchDetails } from '../protocol/frames.js';
import { utf8ByteLength } from '../protocol/utf8.js';

/** Which side of the handler a schema guards. */
export type SchemaPhase = SchemaMismatchDetails['phase'];

/** Names the schema in error messages. */
export interface SchemaContext {
  capabilityType: string;
  phase: SchemaPhase;
}

export type ValidationResult<T> =
  | { ok: true; value: T }
  | { ok: false; errors: SchemaErrorDetail[] };

/** One compiled schema of a capability. Built once, at `defineCapability()` / `handle()` time. */
export interface Validator<T = unknown> {
  /**
   * Checks `value`. On success `value` is what the handler sees (input) or what goes on the wire
   * (output): the same value for JSON Schema, zod's parsed and transformed result for zod.
   * `errors` is bounded (`MAX_SCHEMA_ERRORS`). Throws only what a zod transform throws, or zod's
   * own error when the schema is asynchronous (async refinements and transforms are unsupported).
   */
  validate(value: unknown): ValidationResult<T>;
  /** The JSON Schema advertised on the register frame; `undefined` when there is none. */
  readonly jsonSchema: JsonSchema | undefined;
}

/** A schema-mismatch nack carries at most this many errors (PROTOCOL.md "Schemas": bounded). */
export const MAX_SCHEMA_ERRORS = 20;
/** Longer messages are cut: a `pattern` or `enum` error can quote a whole schema. */
export const MAX_SCHEMA_ERROR_MESSAGE_LENGTH = 300;

/** Caps the list and each message; the last kept entry says how many were dropped. */
export function boundErrors(errors: readonly SchemaErrorDetail[]): SchemaErrorDetail[] {
  const capped = errors.map(({ path, message }) => ({ path, message: capMessage(message) }));
  if (capped.length <= MAX_SCHEMA_ERRORS) return capped;
  const kept = capped.slice(0, MAX_SCHEMA_ERRORS - 1);
  kept.push({ path: '/', message: `…and ${errors.length - kept.length} more errors` });
  return kept;
}

function capMessage(message: string): string {
  return message.length <= MAX_SCHEMA_ERROR_MESSAGE_LENGTH
    ? message
    : `${message.slice(0, MAX_SCHEMA_ERROR_MESSAGE_LENGTH - 1)}…`;
}

// ---- JSON Schema (ajv) ---------------------------------------------------------------------------

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

type AnyAjv = Ajv | Ajv2020;

/**
 * Shared instances, made on first use: one per JSON Schema dialect, since ajv cannot mix draft-07
 * and 2020-12 in one instance. Draft-07 is the default (no `$schema`, or a draft-07 one); a schema
 * whose `$schema` is 2020-12 (what zod 4 and OpenAPI 3.1 emit) gets the 2020-12 instance.
 *
 * - `strict: false`: real-world schemas carry OpenAPI-isms (`nullable`, `example`, `x-*`) and
 *   unknown formats, which strict mode refuses; unknown keywords and formats are ignored.
 * - `logger: false`: a library does not write to the console.
 * - no `loadSchema`: compilation is synchronous and never fetches, so a `$ref` to anything outside
 *   the schema itself fails at compile time.
 */
const instances: { draft07?: Ajv; draft2020?: Ajv2020 } = {};
const AJV_OPTIONS = { allErrors: true, strict: false, logger: false } as const;

function ajvFor(schema: JsonSchema): AnyAjv {
  const dialect =
    typeof schema === 'object' && typeof schema.$schema === 'string'
      ? schema.$schema.replace(/#$/, '')
      : undefined;
  if (dialect === DRAFT_2020_12) {
    instances.draft2020 ??= withFormats(new Ajv2020(AJV_OPTIONS));
    return instances.draft2020;
  }
  instances.draft07 ??= withFormats(new Ajv(AJV_OPTIONS));
  return instances.draft07;
}

function withFormats<A extends AnyAjv>(ajv: A): A {
  // ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
  addFormats.default(ajv);
  return ajv;
}

/**
 * Compiles a JSON Schema once. Throws `ConfigError` (`NEURON_ERR_SCHEMA_COMPILE`) naming the
 * capability, the phase and ajv's reason when it does not compile (including an unresolvable or
 * remote `$ref`). `undefined` is validated as `null`: JSON has no `undefined`, and a handler that
 * returns nothing is acked with `output: null`.
 */
export function compileJsonSchema(schema: JsonSchema, context: SchemaContext): Validator<unknown> {
  checkSchemaLimits(schema, context);
  const validateFn = compileIsolated(schema, context);
  probeRecursion(validateFn, context);
  return {
    jsonSchema: schema,
    validate(value) {
      const json = value === undefined ? null : value;
      if (validateFn(json)) return { ok: true, value: json };
      return { ok: false, errors: boundErrors((validateFn.errors ?? []).map(toErrorDetail)) };
    },
  };
}

/**
 * Compiles on the shared instance, then removes every schema the compile registered: capabilities
 * must not see each other's schemas (two may declare the same `$id`), and a failed compile must
 * leave nothing behind. The compiled function keeps what it resolved.
 */
function compileIsolated(schema: JsonSchema, context: SchemaContext): ValidateFunction {
  const ajv = ajvFor(schema);
  const known = new Set(Object.keys(ajv.refs));
  try {
    return ajv.compile(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      'NEURON_ERR_SCHEMA_COMPILE',
      `capability '${context.capabilityType}': the ${context.phase} JSON Schema does not compile: ${reason}`,
      { cause: error },
    );
  } finally {
    if (typeof schema === 'object') ajv.removeSchema(schema);
    for (const key of Object.keys(ajv.refs)) if (!known.has(key)) ajv.removeSchema(key);
  }
}

/** A JSON Schema whose JSON text is larger than this is refused at `handle()`. */
export const MAX_SCHEMA_BYTES = 1024 * 1024;
/** A JSON Schema nested deeper than this (objects and arrays) is refused at `handle()`. */
export const MAX_SCHEMA_DEPTH = 128;

function refuse(context: SchemaContext, why: string, cause?: unknown): ConfigError {
  return new ConfigError(
    'NEURON_ERR_SCHEMA_COMPILE',
    `capability '${context.capabilityType}': the ${context.phase} JSON Schema ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Pathological schemas fail at `handle()`, not at lease time: a schema that is not JSON (a cycle
 * of objects), larger than `MAX_SCHEMA_BYTES` or deeper than `MAX_SCHEMA_DEPTH` would make ajv's
 * compiler recurse or run for long.
 */
function checkSchemaLimits(schema: JsonSchema, context: SchemaContext): void {
  // Depth first, without recursion: JSON.stringify itself would overflow on a deep schema, and
  // loops on a circular one (which this walk reports as too deep).
  const stack: Array<[unknown, number]> = [[schema, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_SCHEMA_DEPTH) {
      throw refuse(context, `is nested deeper than ${MAX_SCHEMA_DEPTH} levels (or is circular)`);
    }
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(schema);
  } catch (error) {
    throw refuse(context, 'is not JSON', error);
  }
  if (text !== undefined && utf8ByteLength(text) > MAX_SCHEMA_BYTES) {
    throw refuse(context, `is larger than ${MAX_SCHEMA_BYTES} bytes`);
  }
}

/**
 * A `$ref` cycle that consumes no data (`{ "$ref": "#" }`, or one under `anyOf`) compiles, then
 * overflows the stack on every value. One validation of `null` at `handle()` finds it there.
 */
function probeRecursion(validateFn: ValidateFunction, context: SchemaContext): void {
  try {
    validateFn(null);
  } catch (error) {
    throw refuse(context, 'cannot validate anything (a $ref cycle that consumes no data?)', error);
  }
}

/** ajv's `instancePath` is already a JSON pointer; the root is spelled `/`. */
function toErrorDetail(error: ErrorObject): SchemaErrorDetail {
  let message = error.message ?? `failed the '${error.keyword}' keyword`;
  // These messages do not name the offending property; the params do.
  const { additionalProperty, unevaluatedProperty } = error.params as Record<string, unknown>;
  const extra = additionalProperty ?? unevaluatedProperty;
  if (typeof extra === 'string') message += `: '${extra}'`;
  return { path: error.instancePath || '/', message };
}

// ---- serializability -------------------------------------------------------------------------------

export type SerializableCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether `value` can be acked as is (`OUTPUT_NOT_SERIALIZABLE` otherwise). It follows
 * `JSON.stringify` (so `toJSON()` is honoured: a `Date` becomes its ISO string), and refuses what
 * would fail or silently change meaning on the wire:
 * - a circular reference, a BigInt, or a `toJSON()` that throws;
 * - `NaN` or ±`Infinity` anywhere (JSON would turn them into `null`);
 * - a value with no JSON form at all: a function or a symbol at the top level.
 *
 * `undefined` is accepted: returning nothing acks with `output: null`. Inside objects, `undefined`,
 * functions and symbols are dropped, and in arrays they become `null`, exactly as `JSON.stringify`
 * does; other lossy values (a `Map` becomes `{}`) are the output schema's job to catch.
 */
export function checkJsonSerializable(value: unknown): SerializableCheck {
  if (value === undefined) return { ok: true };
  const paths = new WeakMap<object, string>();
  let problem: string | undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value, function (this: object, key: string, item: unknown) {
      if (problem !== undefined) return undefined;
      // The root arrives with key '' on a wrapper object, the only holder without a path.
      const parent = paths.get(this);
      const path = parent === undefined ? '' : `${parent}/${escapePointer(key)}`;
      if (typeof item === 'object' && item !== null) paths.set(item, path);
      if (typeof item === 'bigint') problem = `a BigInt at ${path || '/'}`;
      else if (typeof item === 'number' && !Number.isFinite(item)) {
        problem = `${item} at ${path || '/'} has no JSON form`;
      }
      return problem === undefined ? item : undefined;
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: /circular/i.test(message)
        ? 'it contains a circular reference'
        : `serializing it threw: ${message}`,
    };
  }
  if (problem !== undefined) return { ok: false, reason: problem };
  if (json === undefined) return { ok: false, reason: `a ${typeof value} has no JSON form` };
  return { ok: true };
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
