import { describe, expect, expectTypeOf, it } from 'vitest';
import { z as z4 } from 'zod';
import { z as z3 } from 'zod3';
import {
  type CapabilityDefinition,
  defineCapability,
  type InferInput,
  type InferOutput,
  isCapabilityDefinition,
  resolveRegistration,
} from '../../src/capability/index.js';
import { ConfigError } from '../../src/errors.js';
import { catchError } from './helpers.js';

describe('defineCapability', () => {
  it('runs the reference example written for zod 3 unchanged', () => {
    const pythonCap = defineCapability({
      type: 'core/script.python',
      description: 'Run a Python script in a sandbox',
      input: z3.object({ code: z3.string(), args: z3.record(z3.unknown()).optional() }),
      output: z3.object({ stdout: z3.string(), exitCode: z3.number() }),
      scope: 'any',
      concurrency: 4,
    });
    expect(isCapabilityDefinition(pythonCap)).toBe(true);
    expect(pythonCap).toMatchObject({ type: 'core/script.python', scope: 'any', concurrency: 4 });
    expectTypeOf<InferInput<typeof pythonCap>>().toEqualTypeOf<{
      code: string;
      args?: Record<string, unknown> | undefined;
    }>();
    expectTypeOf<InferOutput<typeof pythonCap>>().toEqualTypeOf<{
      stdout: string;
      exitCode: number;
    }>();
  });

  it('returns a frozen definition, with scope and concurrency left for handle() when absent', () => {
    const definition = defineCapability({ type: 'acme/echo', input: true, output: true });
    expect(Object.isFrozen(definition)).toBe(true);
    expect(definition.scope).toBeUndefined();
    expect(definition.concurrency).toBeUndefined();
  });

  it('copies the scope so later changes to the caller’s object do not leak in', () => {
    const scope = { onBehalfOf: 'user-1' };
    const definition = defineCapability({ type: 'acme/echo', input: true, output: true, scope });
    scope.onBehalfOf = 'user-2';
    expect(definition.scope).toEqual({ onBehalfOf: 'user-1' });
  });

  it('is not fooled by a plain object of the same shape', () => {
    expect(isCapabilityDefinition({ type: 'acme/echo', input: true, output: true })).toBe(false);
    expect(isCapabilityDefinition(null)).toBe(false);
  });

  it.each([
    [{ type: 'echo' }, 'NEURON_ERR_INVALID_CAPABILITY', /at least two/],
    [{ scope: 'everyone' }, 'NEURON_ERR_INVALID_CAPABILITY', /scope must be 'any'/],
    [
      { concurrency: 0 },
      'NEURON_ERR_INVALID_CAPABILITY',
      /concurrency must be an integer ≥ 1, got 0/,
    ],
    [{ leaseTtlMs: -5 }, 'NEURON_ERR_INVALID_CAPABILITY', /leaseTtlMs must be a positive integer/],
    [{ description: 42 }, 'NEURON_ERR_INVALID_CAPABILITY', /description must be a string/],
    [
      { input: undefined },
      'NEURON_ERR_INVALID_CAPABILITY',
      /input schema must be a zod schema or a JSON Schema/,
    ],
    [
      { output: { type: 'nope' } },
      'NEURON_ERR_SCHEMA_COMPILE',
      /the output JSON Schema does not compile/,
    ],
    [
      { input: { $ref: 'https://example.com/s.json' } },
      'NEURON_ERR_SCHEMA_COMPILE',
      /can't resolve reference/,
    ],
  ])('refuses %j at definition time', (change, code, why) => {
    const spec = { type: 'acme/echo', input: true, output: true, ...change };
    const error = catchError(() =>
      defineCapability(spec as Parameters<typeof defineCapability>[0]),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code });
    expect(error.message).toMatch(why);
  });

  it('refuses a Standard Schema that is not zod, naming its vendor', () => {
    const valibotLike = { '~standard': { vendor: 'valibot', version: 1, validate: () => ({}) } };
    expect(() => defineCapability({ type: 'acme/echo', input: valibotLike, output: true })).toThrow(
      /the input schema is a 'valibot' schema; expected a zod schema or a JSON Schema/,
    );
  });
});

describe('inferred handler types', () => {
  it('take a zod 4 input schema’s output (after transforms) and an output schema’s input', () => {
    const definition = defineCapability({
      type: 'acme/tools/size',
      input: z4.object({ size: z4.string().transform(Number), note: z4.string().default('') }),
      output: z4.object({ at: z4.date().transform((date) => date.toISOString()) }),
    });
    expectTypeOf<InferInput<typeof definition>>().toEqualTypeOf<{ size: number; note: string }>();
    expectTypeOf<InferOutput<typeof definition>>().toEqualTypeOf<{ at: Date }>();
  });

  it('do the same for zod 3', () => {
    const definition = defineCapability({
      type: 'acme/tools/size',
      input: z3.object({ size: z3.string().transform(Number), note: z3.string().default('') }),
      output: z3.object({ at: z3.date().transform((date) => date.toISOString()) }),
    });
    expectTypeOf<InferInput<typeof definition>>().toEqualTypeOf<{ size: number; note: string }>();
    expectTypeOf<InferOutput<typeof definition>>().toEqualTypeOf<{ at: Date }>();
  });

  it('are unknown for JSON Schema, and may mix with zod', () => {
    const definition = defineCapability({
      type: 'acme/tools/mixed',
      input: { type: 'object', properties: { a: { type: 'string' } } },
      output: z4.number(),
    });
    expectTypeOf<InferInput<typeof definition>>().toEqualTypeOf<unknown>();
    expectTypeOf<InferOutput<typeof definition>>().toEqualTypeOf<number>();
  });

  it('flow into a handler through a generic CapabilityDefinition parameter', () => {
    const definition = defineCapability({
      type: 'acme/echo',
      input: z4.object({ text: z4.string() }),
      output: z4.object({ echoed: z4.string() }),
    });
    function handle<I, O>(_definition: CapabilityDefinition<I, O>, handler: (input: I) => O) {
      return handler;
    }
    const handler = handle(definition, (input) => ({ echoed: input.text }));
    expectTypeOf(handler).parameter(0).toEqualTypeOf<{ text: string }>();
    // @ts-expect-error: the handler must return the output schema's input type
    handle(definition, () => ({ echoed: 1 }));
  });

  it('let a typed definition stand where any definition is expected', () => {
    const definition = defineCapability({
      type: 'acme/echo',
      input: z4.string(),
      output: z4.string(),
    });
    expectTypeOf(definition).toExtend<CapabilityDefinition<unknown, unknown>>();
    expect(resolveRegistration(definition).type).toBe('acme/echo');
  });
});
