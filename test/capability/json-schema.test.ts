import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileJsonSchema,
  MAX_SCHEMA_ERROR_MESSAGE_LENGTH,
  MAX_SCHEMA_ERRORS,
} from '../../src/capability/index.js';
import { ConfigError } from '../../src/errors.js';
import { catchError } from './helpers.js';

const input = { capabilityType: 'acme/tools/echo', phase: 'input' } as const;
const output = { capabilityType: 'acme/tools/echo', phase: 'output' } as const;

describe('compiling a JSON Schema', () => {
  it('accepts a value that matches and hands it back unchanged', () => {
    const validator = compileJsonSchema(
      { type: 'object', properties: { url: { type: 'string', format: 'uri' } }, required: ['url'] },
      input,
    );
    const value = { url: 'https://example.com/a' };
    const result = validator.validate(value);
    expect(result).toEqual({ ok: true, value });
    expect(result.ok && result.value).toBe(value);
  });

  it('advertises the schema it was given', () => {
    const schema = { type: 'string' };
    expect(compileJsonSchema(schema, input).jsonSchema).toBe(schema);
  });

  it('fails with NEURON_ERR_SCHEMA_COMPILE naming the capability, the phase and the reason', () => {
    const error = catchError(() => compileJsonSchema({ type: 'strnig' }, output));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'NEURON_ERR_SCHEMA_COMPILE' });
    expect(error.message).toMatch(
      /^capability 'acme\/tools\/echo': the output JSON Schema does not compile: schema is invalid: data\/type/,
    );
  });

  it('fails at compile time on a $ref that does not resolve', () => {
    expect(() =>
      compileJsonSchema({ properties: { a: { $ref: '#/definitions/missing' } } }, input),
    ).toThrow(
      /input JSON Schema does not compile: can't resolve reference #\/definitions\/missing/,
    );
  });

  it('validates formats from ajv-formats', () => {
    const validator = compileJsonSchema({ type: 'string', format: 'email' }, input);
    expect(validator.validate('a@example.com').ok).toBe(true);
    expect(validator.validate('not an email')).toEqual({
      ok: false,
      errors: [{ path: '/', message: 'must match format "email"' }],
    });
  });

  it('compiles real-world schemas with OpenAPI keywords, unknown formats and x- extensions', () => {
    const validator = compileJsonSchema(
      {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'int64', example: '42', 'x-order': 1 },
          note: { type: 'string', nullable: true },
        },
      },
      input,
    );
    expect(validator.validate({ id: 'anything', note: null }).ok).toBe(true);
  });

  it('compiles draft-07 tuples and 2020-12 schemas alike', () => {
    const draft07 = compileJsonSchema(
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'array',
        items: [{ type: 'string' }],
        additionalItems: false,
      },
      input,
    );
    expect(draft07.validate(['a']).ok).toBe(true);
    expect(draft07.validate(['a', 'b']).ok).toBe(false);

    const draft2020 = compileJsonSchema(
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ $ref: '#/$defs/name' }],
        items: false,
        $defs: { name: { type: 'string' } },
      },
      input,
    );
    expect(draft2020.validate(['a']).ok).toBe(true);
    expect(draft2020.validate([1]).ok).toBe(false);
    expect(draft2020.validate(['a', 'b']).ok).toBe(false);
  });

  it('keeps schemas of different capabilities apart, even with the same $id', () => {
    const a = compileJsonSchema({ $id: 'https://acme.dev/input.json', type: 'string' }, input);
    const b = compileJsonSchema({ $id: 'https://acme.dev/input.json', type: 'number' }, input);
    expect(a.validate('x').ok).toBe(true);
    expect(b.validate(1).ok).toBe(true);
    expect(b.validate('x').ok).toBe(false);
  });

  it('leaves nothing behind when a schema with an $id fails to compile', () => {
    const id = 'https://acme.dev/broken.json';
    expect(() => compileJsonSchema({ $id: id, $ref: '#/nope' }, input)).toThrow(ConfigError);
    expect(compileJsonSchema({ $id: id, type: 'string' }, input).validate('x').ok).toBe(true);
  });

  it('validates recursive schemas', () => {
    const validator = compileJsonSchema(
      {
        $id: 'https://acme.dev/tree.json',
        type: 'object',
        properties: { kids: { type: 'array', items: { $ref: '#' } } },
      },
      input,
    );
    expect(validator.validate({ kids: [{ kids: [] }] }).ok).toBe(true);
    expect(validator.validate({ kids: [{ kids: [{ kids: 1 }] }] })).toEqual({
      ok: false,
      errors: [{ path: '/kids/0/kids/0/kids', message: 'must be array' }],
    });
  });

  it('validates a missing value as null, what the wire carries', () => {
    expect(compileJsonSchema({ type: 'null' }, output).validate(undefined)).toEqual({
      ok: true,
      value: null,
    });
    expect(compileJsonSchema({ type: 'object' }, input).validate(undefined).ok).toBe(false);
  });

  it('accepts the boolean schemas', () => {
    expect(compileJsonSchema(true, input).validate({ any: 'thing' }).ok).toBe(true);
    expect(compileJsonSchema(false, input).validate({}).ok).toBe(false);
  });
});

describe('remote $refs', () => {
  let hits = 0;
  let baseUrl = '';
  const server = createServer((_request, response) => {
    hits += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ type: 'string' }));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails to compile and is never fetched', async () => {
    const error = catchError(() =>
      compileJsonSchema(
        { type: 'object', properties: { a: { $ref: `${baseUrl}/schema.json` } } },
        input,
      ),
    );
    expect(error).toMatchObject({ code: 'NEURON_ERR_SCHEMA_COMPILE' });
    expect(error.message).toContain(`can't resolve reference ${baseUrl}/schema.json`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hits).toBe(0);
  });
});

describe('validation errors', () => {
  const schema = {
    type: 'object',
    properties: {
      url: { type: 'string' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      items: {
        type: 'array',
        items: { type: 'object', properties: { 'a/b~c': { type: 'integer' } } },
      },
    },
    required: ['url'],
    additionalProperties: false,
  };

  it('are mapped to JSON-pointer paths with ajv messages, the root spelled /', () => {
    const result = compileJsonSchema(schema, input).validate({
      headers: { accept: 1 },
      items: [{ 'a/b~c': 'x' }],
      extra: true,
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: '/', message: "must have required property 'url'" },
        { path: '/', message: "must NOT have additional properties: 'extra'" },
        { path: '/headers/accept', message: 'must be string' },
        { path: '/items/0/a~1b~0c', message: 'must be integer' },
      ],
    });
  });

  it(`are bounded to ${MAX_SCHEMA_ERRORS}, the last entry counting the rest`, () => {
    const validator = compileJsonSchema({ type: 'array', items: { type: 'string' } }, input);
    const result = validator.validate(Array.from({ length: 50 }, (_, i) => i));
    if (result.ok) throw new Error('expected a mismatch');
    expect(result.errors).toHaveLength(MAX_SCHEMA_ERRORS);
    expect(result.errors[0]).toEqual({ path: '/0', message: 'must be string' });
    expect(result.errors.at(-1)).toEqual({ path: '/', message: '…and 31 more errors' });
  });

  it('have their messages capped', () => {
    const validator = compileJsonSchema(
      { type: 'string', pattern: `^${'x'.repeat(1000)}$` },
      input,
    );
    const result = validator.validate('y');
    if (result.ok) throw new Error('expected a mismatch');
    expect(result.errors[0]?.message).toHaveLength(MAX_SCHEMA_ERROR_MESSAGE_LENGTH);
    expect(result.errors[0]?.message.endsWith('…')).toBe(true);
  });
});
