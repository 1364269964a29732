import { describe, expect, it } from 'vitest';
import { z as z4 } from 'zod';
import * as zm from 'zod/mini';
import { z as zodV3 } from 'zod/v3';
import { z as z3 } from 'zod3';
import { fromZod, isZodSchema } from '../../src/capability/index.js';

const input = { capabilityType: 'acme/tools/echo', phase: 'input' } as const;
const output = { capabilityType: 'acme/tools/echo', phase: 'output' } as const;

// The same schema text under each major: code written for zod 3 must run unchanged.
function zod3Fixtures() {
  const z = z3;
  return {
    request: z.object({
      url: z.string().url(),
      retries: z.number().int().min(0).default(3),
      tags: z.array(z.string()).refine((tags) => tags.length > 0, 'give at least one tag'),
      size: z.string().transform((text) => Number.parseInt(text, 10)),
    }),
    nested: z.object({ items: z.array(z.object({ 'a/b~c': z.number() })) }),
    plain: z.string(),
    dated: z.object({ at: z.date().transform((date) => date.toISOString()) }),
    transformed: z.object({ n: z.number().transform(String), ok: z.boolean() }),
    refined: z.object({ n: z.number() }).refine((value) => value.n > 0, 'positive'),
    asynchronous: z.string().refine(async () => true),
  };
}

function zod4Fixtures() {
  const z = z4;
  return {
    request: z.object({
      url: z.string().url(),
      retries: z.number().int().min(0).default(3),
      tags: z.array(z.string()).refine((tags) => tags.length > 0, 'give at least one tag'),
      size: z.string().transform((text) => Number.parseInt(text, 10)),
    }),
    nested: z.object({ items: z.array(z.object({ 'a/b~c': z.number() })) }),
    plain: z.string(),
    dated: z.object({ at: z.date().transform((date) => date.toISOString()) }),
    transformed: z.object({ n: z.number().transform(String), ok: z.boolean() }),
    refined: z.object({ n: z.number() }).refine((value) => value.n > 0, 'positive'),
    asynchronous: z.string().refine(async () => true),
  };
}

describe.each([
  ['zod 3', zod3Fixtures()],
  ['zod 4', zod4Fixtures()],
])('%s', (_name, schemas) => {
  it('is recognised as a zod schema', () => {
    expect(isZodSchema(schemas.request)).toBe(true);
  });

  it('validates with zod and hands the handler the transformed value, defaults applied', () => {
    const result = fromZod(schemas.request, input).validate({
      url: 'https://a.dev',
      tags: ['x'],
      size: '12',
    });
    expect(result).toEqual({
      ok: true,
      value: { url: 'https://a.dev', retries: 3, tags: ['x'], size: 12 },
    });
  });

  it('runs refinements and maps issue paths to JSON pointers', () => {
    const result = fromZod(schemas.request, input).validate({
      url: 'nope',
      tags: [],
      size: 1,
      retries: -1,
    });
    if (result.ok) throw new Error('expected a mismatch');
    expect(result.errors.map((error) => error.path).sort()).toEqual([
      '/retries',
      '/size',
      '/tags',
      '/url',
    ]);
    expect(result.errors.find((error) => error.path === '/tags')?.message).toBe(
      'give at least one tag',
    );
  });

  it('maps nested and escaped paths', () => {
    const result = fromZod(schemas.nested, input).validate({
      items: [{ 'a/b~c': 1 }, { 'a/b~c': 'x' }],
    });
    expect(result.ok === false && result.errors.map((error) => error.path)).toEqual([
      '/items/1/a~1b~0c',
    ]);
  });

  it('spells a root-level issue /', () => {
    const result = fromZod(schemas.plain, input).validate(1);
    expect(result.ok === false && result.errors[0]?.path).toBe('/');
  });

  it('acks what the output schema produces', () => {
    const result = fromZod(schemas.dated, output).validate({ at: new Date(0) });
    expect(result).toEqual({ ok: true, value: { at: '1970-01-01T00:00:00.000Z' } });
  });

  it('describes the input schema by what it accepts', () => {
    const schema = fromZod(schemas.request, input).jsonSchema as Record<string, unknown>;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.type).toBe('object');
    expect(schema.properties).toMatchObject({
      url: { type: 'string', format: 'uri' },
      retries: { type: 'integer', minimum: 0, default: 3 },
      tags: { type: 'array', items: { type: 'string' } },
      size: { type: 'string' },
    });
    expect(schema.required).toEqual(['url', 'tags', 'size']);
    // zod strips unknown keys of an input rather than refusing them.
    expect(schema.additionalProperties).toBeUndefined();
  });

  it('describes the output schema by what it sends, a transform as anything', () => {
    const schema = fromZod(schemas.transformed, output).jsonSchema as Record<string, unknown>;
    expect(schema.properties).toEqual({ n: {}, ok: { type: 'boolean' } });
    expect(schema.additionalProperties).toBe(false);
  });

  it('describes a refined output by its inner schema', () => {
    expect(fromZod(schemas.refined, output).jsonSchema).toMatchObject({
      type: 'object',
      properties: { n: { type: 'number' } },
    });
  });

  it('reports an asynchronous refinement by throwing zod’s own error', () => {
    expect(() => fromZod(schemas.asynchronous, input).validate('x')).toThrow(/async/i);
  });
});

describe('zod 4 mini', () => {
  it('validates and is described through zod’s core converter', () => {
    const schema = zm.object({ name: zm.string(), age: zm.optional(zm.number()) });
    expect(isZodSchema(schema)).toBe(true);
    const validator = fromZod(schema, input);
    expect(validator.validate({ name: 'a' })).toEqual({ ok: true, value: { name: 'a' } });
    expect(validator.validate({ name: 1 }).ok).toBe(false);
    expect(validator.jsonSchema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'number' } },
      required: ['name'],
    });
  });
});

describe('zod 3 schemas from zod 4’s zod/v3 entry point', () => {
  it('validate and are described like zod 3 schemas', () => {
    const validator = fromZod(zodV3.object({ a: zodV3.string().describe('the a') }), input);
    expect(validator.validate({ a: 'x' })).toEqual({ ok: true, value: { a: 'x' } });
    expect(validator.jsonSchema).toMatchObject({
      properties: { a: { type: 'string', description: 'the a' } },
    });
  });
});

describe('isZodSchema', () => {
  it('rejects JSON Schemas and other values', () => {
    for (const value of [{ type: 'object' }, true, null, 'z.string()', { safeParse: () => ({}) }]) {
      expect(isZodSchema(value)).toBe(false);
    }
  });
});
