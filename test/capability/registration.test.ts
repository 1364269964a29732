import { describe, expect, it } from 'vitest';
import { z as z4 } from 'zod';
import { z as z3 } from 'zod3';
import {
  type CapabilityRegistration,
  defineCapability,
  resolveRegistration,
} from '../../src/capability/index.js';
import { ConfigError } from '../../src/errors.js';

const inputSchema = {
  type: 'object',
  properties: { url: { type: 'string' } },
  required: ['url'],
} as const;

describe('resolving a raw registration', () => {
  it('advertises its fields and JSON Schemas on the register frame', () => {
    const registration: CapabilityRegistration = {
      type: 'core/http',
      scope: { onBehalfOf: 'user-1' },
      concurrency: 8,
      description: 'HTTP requests',
      inputSchema,
      outputSchema: { type: 'object' },
      leaseTtlMs: 30_000,
    };
    const resolved = resolveRegistration(registration);
    // Every field of a registration is a field of the advertisement, and nothing else is.
    expect(resolved.advertisement).toEqual(registration);
    expect(resolved).toMatchObject({ type: 'core/http', concurrency: 8, leaseTtlMs: 30_000 });
  });

  it('validates with the JSON Schemas it was given', () => {
    const resolved = resolveRegistration({
      type: 'core/http',
      scope: 'any',
      concurrency: 1,
      inputSchema,
    });
    expect(resolved.input?.validate({ url: 'x' }).ok).toBe(true);
    expect(resolved.input?.validate({})).toEqual({
      ok: false,
      errors: [{ path: '/', message: "must have required property 'url'" }],
    });
    expect(resolved.output).toBeUndefined();
  });

  it('leaves a capability without schemas unvalidated and advertises no schema keys', () => {
    const resolved = resolveRegistration({ type: 'core/http', scope: 'any', concurrency: 4 });
    expect(resolved.input).toBeUndefined();
    expect(resolved.output).toBeUndefined();
    expect(resolved.advertisement).toEqual({ type: 'core/http', scope: 'any', concurrency: 4 });
  });

  it("defaults a missing scope to 'any' and a missing concurrency to 1", () => {
    const fromJavaScript = { type: 'core/http' } as CapabilityRegistration;
    expect(resolveRegistration(fromJavaScript)).toMatchObject({ scope: 'any', concurrency: 1 });
  });

  it('refuses an explicit null scope instead of defaulting it', () => {
    const registration = { type: 'core/http', scope: null, concurrency: 1 };
    expect(() => resolveRegistration(registration as unknown as CapabilityRegistration)).toThrow(
      /scope must be 'any'/,
    );
  });

  it('fails at handle() time on a JSON Schema that does not compile', () => {
    const registration = {
      type: 'core/http',
      scope: 'any',
      concurrency: 1,
      outputSchema: { properties: { a: { $ref: '#/definitions/none' } } },
    } as const;
    expect(() => resolveRegistration(registration)).toThrow(
      expect.objectContaining({
        code: 'NEURON_ERR_SCHEMA_COMPILE',
        message: expect.stringMatching(
          /^capability 'core\/http': the output JSON Schema does not compile/,
        ),
      }),
    );
  });

  it('points a zod schema given as inputSchema to defineCapability()', () => {
    const registration = {
      type: 'core/http',
      scope: 'any',
      concurrency: 1,
      inputSchema: z4.string(),
    };
    expect(() => resolveRegistration(registration as unknown as CapabilityRegistration)).toThrow(
      /inputSchema takes a JSON Schema, got a zod schema; use defineCapability/,
    );
  });

  it('points a spec with input/output that skipped defineCapability() to it', () => {
    const spec = {
      type: 'core/http',
      scope: 'any',
      concurrency: 1,
      input: z3.string(),
      output: z3.string(),
    };
    expect(() => resolveRegistration(spec as unknown as CapabilityRegistration)).toThrow(
      /was not made by defineCapability\(\): wrap it in defineCapability/,
    );
  });

  it.each([null, 'core/http', 42])('refuses %j as a registration', (value) => {
    expect(() => resolveRegistration(value as unknown as CapabilityRegistration)).toThrow(
      /handle\(\) takes a registration \{ type, scope, concurrency \} or a defineCapability\(\) definition/,
    );
  });

  it('refuses a bad type, scope or concurrency with a ConfigError naming the capability', () => {
    expect(() => resolveRegistration({ type: 'http', scope: 'any', concurrency: 1 })).toThrow(
      ConfigError,
    );
    expect(() =>
      resolveRegistration({ type: 'core/http', scope: 'any', concurrency: 2.5 }),
    ).toThrow(/^capability 'core\/http': concurrency must be an integer ≥ 1, got 2.5$/);
  });
});

describe('resolving a definition', () => {
  const echo = defineCapability({
    type: 'acme/tools/echo',
    description: 'Echoes text',
    input: z4.object({ text: z4.string().trim() }),
    output: z4.object({ echoed: z4.string() }),
    concurrency: 2,
    leaseTtlMs: 10_000,
  });

  it('uses the definition’s defaults, scope falling back to any', () => {
    expect(resolveRegistration(echo)).toMatchObject({
      type: 'acme/tools/echo',
      scope: 'any',
      concurrency: 2,
      description: 'Echoes text',
      leaseTtlMs: 10_000,
    });
  });

  it('lets handle() overrides win, and checks them', () => {
    const resolved = resolveRegistration(echo, {
      scope: { onBehalfOf: 'user-123' },
      concurrency: 8,
    });
    expect(resolved.advertisement).toMatchObject({
      scope: { onBehalfOf: 'user-123' },
      concurrency: 8,
    });
    expect(() => resolveRegistration(echo, { concurrency: 0 })).toThrow(
      /concurrency must be an integer/,
    );
    expect(() => resolveRegistration(echo, { scope: { onBehalfOf: '' } })).toThrow(/onBehalfOf/);
  });

  it('validates with zod, the handler seeing the transformed input', () => {
    const resolved = resolveRegistration(echo);
    expect(resolved.input?.validate({ text: '  hi  ' })).toEqual({
      ok: true,
      value: { text: 'hi' },
    });
    expect(resolved.output?.validate({ echoed: 1 }).ok).toBe(false);
  });

  it('advertises the JSON Schema projections of its zod schemas', () => {
    const { advertisement } = resolveRegistration(echo);
    expect(advertisement.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
    });
    expect(advertisement.outputSchema).toMatchObject({
      type: 'object',
      properties: { echoed: { type: 'string' } },
      additionalProperties: false,
    });
  });

  it('reuses the validators compiled at definition time', () => {
    expect(resolveRegistration(echo).input).toBe(resolveRegistration(echo).input);
  });

  it('compiles a spread copy from its own, current schemas', () => {
    const copy = {
      ...echo,
      type: 'acme/tools/shout',
      input: z4.object({ text: z4.string().toUpperCase() }),
    };
    const resolved = resolveRegistration(copy);
    expect(resolved.type).toBe('acme/tools/shout');
    expect(resolved.input?.validate({ text: 'hi' })).toEqual({ ok: true, value: { text: 'HI' } });
  });
});

describe('the SDK without zod', () => {
  it('never imports zod statically from src/', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const root = new URL('../../src/', import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(new URL(file, root), 'utf8');
      if (/(?:from|import)\s*\(?\s*['"]zod(?:\/[^'"]*)?['"]/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
