/**
 * PROTOCOL.md "Schemas": no remote `$ref` is ever fetched, and a pathological schema given at
 * `handle()` fails there (NEURON_ERR_SCHEMA_COMPILE), not at lease time. The limits:
 * MAX_SCHEMA_BYTES (1 MiB of JSON), MAX_SCHEMA_DEPTH (128 levels), compilation errors (stack
 * overflow included), a schema object that is circular, and a probe validation of `null` that finds `$ref` cycles consuming no data.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, Neuron } from '@holokai/neuron-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, disposeHarnesses } from '../e2e/harness.js';

afterEach(disposeHarnesses);

/** A schema server on loopback that counts every request it gets. */
let server: Server;
let base = '';
let hits = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'string' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function neuron(): Neuron {
  return new Neuron({ gatewayUrl: 'http://127.0.0.1:9', neuronId: 'n', auth: () => 't' });
}

function compileError(inputSchema: unknown): ConfigError {
  try {
    neuron().handle(
      {
        type: 'acme/s',
        scope: 'any',
        concurrency: 1,
        inputSchema: inputSchema as Record<string, unknown>,
      },
      () => null,
    );
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('NEURON_ERR_SCHEMA_COMPILE');
    return err as ConfigError;
  }
  throw new Error('handle() accepted the schema');
}

describe('remote $ref', () => {
  it('is never fetched: a $ref, an $id-relative $ref or a $schema to a URL fails at handle()', async () => {
    compileError({ $ref: `${base}/schema.json` });
    compileError({ $id: `${base}/root.json`, properties: { a: { $ref: 'other.json' } } });
    compileError({ type: 'object', properties: { x: { $ref: `${base}/x.json#/defs/y` } } });
    compileError({ $schema: `${base}/meta.json`, type: 'string' });
    await new Promise((r) => setTimeout(r, 100));
    expect(hits).toBe(0);
  });

  it("is never fetched from a lease frame's own inputSchema, which is not consulted", async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
    const inputs: unknown[] = [];
    h.neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => {
      inputs.push(input);
      return input;
    });
    await h.start();
    h.gw.sendFrame('neuron-1', {
      type: 'lease',
      leaseId: 'l-ref',
      capabilityType: 'acme/echo',
      task: { taskId: 't-ref', input: 5 },
      inputSchema: { $ref: `${base}/schema.json` },
      outputSchema: { $ref: `${base}/out.json` },
      expiresAt: new Date(Date.now() + 30_000).toISOString(),
    });
    await expect.poll(() => inputs).toEqual([5]);
    expect(hits).toBe(0);
    await h.stop();
  });
});

describe('pathological schemas fail at handle()', () => {
  it('a schema nested deeper than 128 levels', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 5_000; i++) schema = { type: 'object', properties: { a: schema } };
    expect(compileError(schema).message).toMatch(/input JSON Schema is nested deeper than 128/);
  });

  it('a schema larger than 1 MiB', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 40_000; i++) properties[`field_${i}`] = { type: 'string', minLength: 1 };
    expect(compileError({ type: 'object', properties }).message).toMatch(
      /is larger than 1048576 bytes/,
    );
  });

  it('a schema object with a reference cycle', () => {
    const schema: Record<string, unknown> = { type: 'object' };
    schema.properties = { self: schema };
    expect(compileError(schema).message).toMatch(
      /is nested deeper than 128 levels \(or is circular\)/,
    );
  });

  it('a $ref cycle that consumes no data, directly or under anyOf (regression: it overflowed the stack at lease time)', () => {
    expect(compileError({ $ref: '#' }).message).toMatch(/\$ref cycle/);
    expect(
      compileError({
        anyOf: [{ type: 'string' }, { $ref: '#/definitions/loop' }],
        definitions: { loop: { $ref: '#' } },
      }).message,
    ).toMatch(/\$ref cycle/);
  });

  it('accepts a legitimately recursive schema (a tree), which consumes data as it recurses', () => {
    const tree = {
      type: 'object',
      properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#' } } },
    };
    expect(() =>
      neuron().handle(
        { type: 'acme/tree', scope: 'any', concurrency: 1, inputSchema: tree },
        () => 1,
      ),
    ).not.toThrow();
  });
});
