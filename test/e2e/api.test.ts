import { readFileSync } from 'node:fs';
import {
  type ClientFrame,
  ConfigError,
  defineCapability,
  type InboundFrame,
  type LeaseSettledInfo,
  Neuron,
  type NeuronLogger,
  type NeuronOptions,
  type PostPath,
  type RegisteredInfo,
  type RegisterFrame,
  SDK_VERSION,
  type Transport,
  type TransportCallbacks,
} from '@holokai/neuron-sdk';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { z as z3 } from 'zod3';
import { trackResources } from '../support/resources.js';
import { createHarness, disposeHarnesses, eventsNamed } from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 1 } as const;
const auth = () => 'token';
const gatewayUrl = 'http://127.0.0.1:9';

/** A neuron that is never started: for the synchronous API. `stop()` releases its HTTP pool. */
const created: Neuron[] = [];
function idleNeuron(): Neuron {
  const neuron = new Neuron({ gatewayUrl, neuronId: 'api-1', auth });
  created.push(neuron);
  return neuron;
}
afterEach(async () => {
  await Promise.all(created.splice(0).map((n) => n.stop()));
});

/**
 * A transport that is an in-memory gateway: it answers `register` with a `registered` frame on
 * its stream, heartbeats with an empty renewal, and records every POST.
 */
class MemoryTransport implements Transport {
  readonly calls: string[] = [];
  readonly posts: Array<{ path: PostPath; frame: ClientFrame }> = [];
  #callbacks: TransportCallbacks[] = [];
  #connected = false;
  #sessions = 0;

  subscribe(callbacks: TransportCallbacks): void {
    this.calls.push('subscribe');
    this.#callbacks.push(callbacks);
  }
  async start(): Promise<void> {
    this.calls.push('start');
    this.#connected = true;
    for (const cb of this.#callbacks) cb.onOpen?.();
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
    this.#connected = false;
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
  async post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown> {
    this.posts.push({ path, frame });
    if (frame.type === 'register') {
      const capabilities = frame.capabilities.map(({ type, scope, concurrency }) => ({
        type,
        scope,
        concurrency,
      }));
      const sessionId = `mem-${++this.#sessions}`;
      queueMicrotask(() => this.deliver({ type: 'registered', sessionId, capabilities }));
    }
    if (frame.type === 'heartbeat') return { leases: [], lost: [] };
    return undefined;
  }
  isConnected(): boolean {
    return this.#connected;
  }
  deliver(frame: InboundFrame): void {
    for (const cb of this.#callbacks) cb.onFrame?.(frame);
  }
  dropStream(reason: string): void {
    this.#connected = false;
    for (const cb of this.#callbacks) cb.onClose?.(reason);
  }
  postsTo(path: PostPath): ClientFrame[] {
    return this.posts.filter((p) => p.path === path).map((p) => p.frame);
  }
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('new Neuron()', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    [
      'an empty neuronId',
      { gatewayUrl, neuronId: '', auth },
      /neuronId must be a non-empty string/,
    ],
    [
      'a blank neuronId',
      { gatewayUrl, neuronId: '   ', auth },
      /neuronId must be a non-empty string .* e\.g\. worker-<hostname>/,
    ],
    [
      'a gatewayUrl that is not a URL',
      { gatewayUrl: 'gateway.example.com', neuronId: 'n', auth },
      /gatewayUrl must be an absolute http\(s\) URL such as "https:\/\/gateway\.example\.com"/,
    ],
    [
      'a gatewayUrl of another scheme',
      { gatewayUrl: 'ws://gateway.example.com', neuronId: 'n', auth },
      /gatewayUrl must use https:/,
    ],
    [
      'a gatewayUrl with a query string',
      { gatewayUrl: 'https://gateway.example.com/?env=dev', neuronId: 'n', auth },
      /gatewayUrl is a base URL and must not carry a query string/,
    ],
    [
      'a gatewayUrl with credentials',
      { gatewayUrl: 'https://me:secret@gateway.example.com', neuronId: 'n', auth },
      /must not carry a user name or password; supply credentials through the auth callback/,
    ],
    [
      'an auth that is a string',
      { gatewayUrl, neuronId: 'n', auth: 'my-token' },
      /auth must be a function returning the bearer token .* e\.g\. auth: \(\) =>/,
    ],
    [
      'no auth at all',
      { gatewayUrl, neuronId: 'n' },
      /auth must be a function returning the bearer token/,
    ],
    [
      'http:// to a host that is not loopback',
      { gatewayUrl: 'http://gateway.example.com', neuronId: 'n', auth },
      /http:\/\/ to the non-loopback host gateway\.example\.com.*use https:\/\/, or set allowInsecure: true/,
    ],
    [
      'both a transport and a gatewayUrl',
      { gatewayUrl, neuronId: 'n', auth, transport: new MemoryTransport() },
      /pass either gatewayUrl \+ auth or transport, not both/,
    ],
    [
      'neither a transport nor a gatewayUrl',
      { neuronId: 'n', auth },
      /gatewayUrl is required \(e\.g\. https:\/\/bigbrain\.example\.com\), or pass a transport/,
    ],
    [
      'a transport missing a method',
      { neuronId: 'n', transport: { subscribe() {}, start() {} } },
      /transport\.stop must be a function/,
    ],
    [
      'a transport and an empty neuronId',
      { neuronId: '', transport: new MemoryTransport() },
      /neuronId must be a non-empty string/,
    ],
    [
      'a cancelGraceMs longer than a timer holds',
      { neuronId: 'n', transport: new MemoryTransport(), cancelGraceMs: 2 ** 31 },
      /cancelGraceMs must be at most 2147483647 ms/,
    ],
    [
      'an idleTimeoutMs of Infinity',
      { neuronId: 'n', transport: new MemoryTransport(), idleTimeoutMs: Number.POSITIVE_INFINITY },
      /idleTimeoutMs must be a positive number of milliseconds/,
    ],
  ];
  it.each(bad)('throws a ConfigError naming the fix for %s', (_what, options, message) => {
    const err = configErrorOf(() => new Neuron(options as NeuronOptions));
    expect(err.code).toBe('NEURON_ERR_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });

  it('accepts http:// to loopback hosts, and to any host with allowInsecure', async () => {
    for (const url of ['http://localhost:8080', 'http://127.0.0.1:9', 'http://[::1]:8080/base/']) {
      created.push(new Neuron({ gatewayUrl: url, neuronId: 'n', auth }));
    }
    created.push(
      new Neuron({
        gatewayUrl: 'http://gateway.internal',
        neuronId: 'n',
        auth,
        allowInsecure: true,
      }),
    );
    expect(created.map((n) => n.getState())).toEqual(['idle', 'idle', 'idle', 'idle']);
  });
});

describe('neuron.handle()', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    [
      'a type with one segment',
      { ...echo, type: 'echo' },
      /capability type 'echo' needs at least two '\/'-separated segments.*e\.g\. 'acme\/tools\/echo'/,
    ],
    ['a type with an empty segment', { ...echo, type: 'acme//echo' }, /has an empty segment/],
    ['a type with a space', { ...echo, type: 'acme/ech o' }, /contains " ": segments may only use/],
    ['a type that is not a string', { ...echo, type: 42 }, /capability type must be a string/],
    [
      'an unknown scope',
      { ...echo, scope: 'all' },
      /capability 'acme\/echo': scope must be 'any' or \{ onBehalfOf: '<userId>' \}, got 'all'/,
    ],
    [
      'a blank onBehalfOf',
      { ...echo, scope: { onBehalfOf: ' ' } },
      /scope\.onBehalfOf must be a non-empty user id string/,
    ],
    [
      'a zero concurrency',
      { ...echo, concurrency: 0 },
      /capability 'acme\/echo': concurrency must be an integer ≥ 1, got 0/,
    ],
    [
      'a fractional concurrency',
      { ...echo, concurrency: 1.5 },
      /concurrency must be an integer ≥ 1/,
    ],
    [
      'a concurrency given as a string',
      { ...echo, concurrency: '4' },
      /concurrency must be an integer ≥ 1, got '4'/,
    ],
    [
      'a zod schema passed as inputSchema',
      { ...echo, inputSchema: z.object({}) },
      /inputSchema takes a JSON Schema, got a zod schema; use defineCapability/,
    ],
  ];
  it.each(bad)(
    'throws a ConfigError for %s, and registers nothing',
    (_what, registration, message) => {
      const neuron = idleNeuron();
      const err = configErrorOf(() => neuron.handle(registration as typeof echo, () => 'ok'));
      expect(err.code).toBe('NEURON_ERR_INVALID_CAPABILITY');
      expect(err.message).toMatch(message);
      expect(neuron.snapshot().capabilities).toEqual([]);
    },
  );

  it('throws NEURON_ERR_SCHEMA_COMPILE for a JSON Schema that does not compile', () => {
    const neuron = idleNeuron();
    const input = configErrorOf(() =>
      neuron.handle({ ...echo, inputSchema: { type: 'nonsense' } }, () => 'ok'),
    );
    expect(input.code).toBe('NEURON_ERR_SCHEMA_COMPILE');
    expect(input.message).toMatch(
      /^capability 'acme\/echo': the input JSON Schema does not compile: /,
    );
    const output = configErrorOf(() =>
      neuron.handle({ ...echo, outputSchema: { $ref: '#/$defs/missing' } }, () => 'ok'),
    );
    expect(output.code).toBe('NEURON_ERR_SCHEMA_COMPILE');
    expect(output.message).toMatch(/the output JSON Schema does not compile/);
    expect(neuron.snapshot().capabilities).toEqual([]);
  });

  it('throws for a second handler of the same type, and for a missing handler function', () => {
    const neuron = idleNeuron();
    neuron.handle(echo, () => 'first');
    const dup = configErrorOf(() => neuron.handle({ ...echo, concurrency: 3 }, () => 'second'));
    expect(dup.message).toBe(
      'Neuron.handle(): acme/echo already has a handler; each capability type is handled once',
    );
    const noFn = configErrorOf(() =>
      neuron.handle({ ...echo, type: 'acme/other' }, undefined as never),
    );
    expect(noFn.message).toMatch(/needs a handler function as its last argument/);
    expect(neuron.snapshot().capabilities).toEqual([
      expect.objectContaining({ type: 'acme/echo', concurrency: 1 }),
    ]);
  });

  it('throws after start(), pointing at updateCapability()', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => 'ok');
    await h.start();
    const err = configErrorOf(() => h.neuron.handle({ ...echo, type: 'acme/late' }, () => 'ok'));
    expect(err.code).toBe('NEURON_ERR_INVALID_STATE');
    expect(err.message).toMatch(/must be called before start\(\); .* use updateCapability\(\)/);
    expect(h.gw.neurons()[0]?.capabilities.map((c) => c.type)).toEqual(['acme/echo']);
    await h.stop();
  });
});

describe('neuron.start()', () => {
  it('rejects without a handler, and opens nothing', async () => {
    const h = await createHarness();
    const started = h.neuron.start();
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(
      'Neuron.start() requires at least one handler: call neuron.handle(capability, handler) first',
    );
    expect(h.gw.requests).toEqual([]);
    await h.stop();
  });

  it('is a no-op the second time, even while the first is under way', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => 'ok');
    await Promise.all([h.start(), h.neuron.start()]);
    await h.neuron.start();
    expect(h.gw.requestsTo('events')).toHaveLength(1);
    expect(h.gw.requestsTo('register')).toHaveLength(1);
    expect(eventsNamed(h.events, 'connection:open')).toHaveLength(1);
    await h.stop();
  });
});

describe('events', () => {
  it('are typed per name, and on() returns a function that unsubscribes', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, (input) => input);
    const registered: RegisteredInfo[] = [];
    const frames: InboundFrame[] = [];
    const onceFrames: InboundFrame[] = [];
    const offRegistered = h.neuron.on('connection:registered', (info) => {
      expectTypeOf(info).toEqualTypeOf<RegisteredInfo>();
      registered.push(info);
    });
    const offFrame = h.neuron.on('frame', (frame) => {
      expectTypeOf(frame).toEqualTypeOf<InboundFrame>();
      frames.push(frame);
    });
    h.neuron.once('frame', (frame) => onceFrames.push(frame));
    h.neuron.on('lease:settled', (info) => {
      expectTypeOf(info).toEqualTypeOf<LeaseSettledInfo>();
    });
    // The neuron (for chaining) that is also its own unsubscribe function.
    expectTypeOf(offFrame).toExtend<() => void>();
    expectTypeOf(offFrame).toExtend<typeof h.neuron>();
    // @ts-expect-error: not an event of the neuron
    h.neuron.on('lease:nope', () => {});
    // @ts-expect-error: `connection:close` passes a string reason
    h.neuron.on('connection:close', (reason: number) => reason);

    await h.start();
    await expect.poll(() => registered.length).toBe(1);
    expect(registered[0]).toEqual({
      sessionId: h.gw.neurons()[0]?.sessionId,
      capabilities: 1,
      effective: [{ type: 'acme/echo', scope: 'any', concurrency: 1 }],
      rejected: [],
    });
    offFrame();
    offRegistered();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 }).taskId,
    );
    expect(done.state).toBe('acked');
    // The harness's own listener saw the lease; the unsubscribed one did not.
    expect(eventsNamed(h.events, 'frame').map(([f]) => f.type)).toEqual(['registered', 'lease']);
    expect(frames.map((f) => f.type)).toEqual(['registered']);
    expect(onceFrames.map((f) => f.type)).toEqual(['registered']);
    await h.stop();
  });

  it('a listener that throws breaks neither the neuron nor the other listeners, and is logged', async () => {
    const logged: Array<[Record<string, unknown>, string | undefined]> = [];
    const logger: NeuronLogger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (meta, msg) => logged.push([meta, msg]),
    };
    const h = await createHarness({ neuron: { logger } });
    h.neuron.handle(echo, (input) => input);
    for (const name of [
      'frame',
      'connection:registered',
      'lease:received',
      'lease:settled',
    ] as const) {
      h.neuron.on(name, () => {
        throw new Error(`listener of ${name} broke`);
      });
    }
    const after: string[] = [];
    h.neuron.on('lease:settled', (info) => after.push(info.leaseId));
    await h.start();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: 'fine' }).taskId,
    );
    expect(done.outcome).toMatchObject({ type: 'ack', output: 'fine' });
    await expect.poll(() => after).toEqual([done.leaseId]);
    expect(logged).toContainEqual([
      { event: 'frame', err: 'Error: listener of frame broke' },
      'a neuron event listener threw',
    ]);
    expect(logged.map(([meta]) => meta.event)).toEqual(
      expect.arrayContaining(['frame', 'connection:registered', 'lease:received', 'lease:settled']),
    );
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe('defineCapability end to end', () => {
  it('serves a capability defined with zod 3: transforms reach the handler, bad input is a schema-mismatch', async () => {
    const h = await createHarness();
    const cap = defineCapability({
      type: 'acme/zod3.sum',
      input: z3.object({ values: z3.array(z3.number()).min(1) }).transform((v) => v.values),
      output: z3.object({ sum: z3.number().int() }),
      concurrency: 2,
    });
    h.neuron.handle(cap, (values) => {
      expectTypeOf(values).toEqualTypeOf<number[]>();
      return { sum: values.reduce((a, b) => a + b, 0) };
    });
    await h.start();
    const register = h.gw.requestsTo('register')[0]?.body as RegisterFrame;
    expect(register.capabilities[0]).toMatchObject({
      type: 'acme/zod3.sum',
      concurrency: 2,
      inputSchema: expect.objectContaining({ type: 'object', required: ['values'] }),
      outputSchema: expect.objectContaining({ type: 'object' }),
    });
    const ok = h.gw.submitTask({ capabilityType: 'acme/zod3.sum', input: { values: [1, 2, 3] } });
    expect((await h.gw.waitForTask(ok.taskId)).outcome).toEqual({
      type: 'ack',
      output: { sum: 6 },
      durationMs: expect.any(Number),
    });
    const bad = h.gw.submitTask({ capabilityType: 'acme/zod3.sum', input: { values: ['x'] } });
    expect((await h.gw.waitForTask(bad.taskId)).outcome).toMatchObject({
      type: 'nack',
      kind: 'schema-mismatch',
      details: { phase: 'input', errors: [{ path: '/values/0' }] },
    });
    const fractional = h.gw.submitTask({
      capabilityType: 'acme/zod3.sum',
      input: { values: [0.5] },
    });
    expect((await h.gw.waitForTask(fractional.taskId)).outcome).toMatchObject({
      kind: 'schema-mismatch',
      details: { phase: 'output', errors: [{ path: '/sum' }] },
    });
    await h.stop();
  });

  it('serves a capability defined with zod 4, with handle-time overrides on the register frame', async () => {
    const h = await createHarness();
    const cap = defineCapability({
      type: 'acme/zod4.greet',
      description: 'greets someone',
      input: z.object({ name: z.string().min(1), shout: z.boolean().default(false) }),
      output: z.string().refine((s) => s.startsWith('hello'), 'must greet'),
    });
    h.neuron.handle(cap, { concurrency: 3 }, ({ name, shout }) => {
      expectTypeOf(shout).toEqualTypeOf<boolean>();
      if (name === 'rude') return 'go away';
      const text = `hello ${name}`;
      return shout ? text.toUpperCase().replace('HELLO', 'hello') : text;
    });
    await h.start();
    const register = h.gw.requestsTo('register')[0]?.body as RegisterFrame;
    expect(register.capabilities[0]).toMatchObject({
      type: 'acme/zod4.greet',
      scope: 'any',
      concurrency: 3,
      description: 'greets someone',
      inputSchema: expect.objectContaining({ type: 'object' }),
    });
    const outcomeOf = async (input: unknown) =>
      (await h.gw.waitForTask(h.gw.submitTask({ capabilityType: 'acme/zod4.greet', input }).taskId))
        .outcome;
    expect(await outcomeOf({ name: 'ada' })).toMatchObject({ type: 'ack', output: 'hello ada' });
    expect(await outcomeOf({ name: 'ada', shout: true })).toMatchObject({
      output: 'hello ADA',
    });
    expect(await outcomeOf({ name: '' })).toMatchObject({
      kind: 'schema-mismatch',
      details: { phase: 'input', errors: [{ path: '/name' }] },
    });
    expect(await outcomeOf({ name: 'rude' })).toMatchObject({
      kind: 'schema-mismatch',
      details: { phase: 'output', errors: [{ path: '/', message: 'must greet' }] },
    });
    await h.stop();
  });
});

describe('a custom transport', () => {
  it('is driven by the neuron: started, registered through post(), fed frames, reconnected and closed', async () => {
    const resources = trackResources();
    const transport = new MemoryTransport();
    const neuron = new Neuron({
      neuronId: 'mem-neuron',
      transport,
      heartbeatIntervalMs: 30,
      initialReconnectDelayMs: 5,
      maxReconnectDelayMs: 10,
    });
    neuron.handle(echo, (input) => ({ echoed: input }));
    const closes: string[] = [];
    neuron.on('connection:close', (reason) => closes.push(reason));
    try {
      await neuron.start();
      expect(transport.calls.slice(0, 2)).toEqual(['subscribe', 'start']);
      await expect.poll(() => neuron.snapshot().connection.sessionId).toBe('mem-1');
      expect(transport.postsTo('register')).toEqual([
        {
          type: 'register',
          neuronId: 'mem-neuron',
          protocolVersion: '1.1.0',
          sdk: { name: '@holokai/neuron-sdk', version: SDK_VERSION, language: 'typescript' },
          capabilities: [{ type: 'acme/echo', scope: 'any', concurrency: 1 }],
        },
      ]);
      await expect
        .poll(() => transport.postsTo('heartbeat'))
        .toContainEqual(expect.objectContaining({ neuronId: 'mem-neuron', sessionId: 'mem-1' }));

      transport.deliver({
        type: 'lease',
        leaseId: 'l-mem',
        capabilityType: 'acme/echo',
        task: { taskId: 't-mem', input: 'hi' },
        expiresAt: new Date(Date.now() + 30_000).toISOString(),
      });
      await expect
        .poll(() => transport.postsTo('ack'))
        .toEqual([
          {
            type: 'ack',
            neuronId: 'mem-neuron',
            leaseId: 'l-mem',
            taskId: 't-mem',
            output: { echoed: 'hi' },
            durationMs: expect.any(Number),
          },
        ]);

      // The transport reports its stream gone: the neuron reopens it and registers again.
      transport.dropStream('peer went away');
      await expect.poll(() => neuron.snapshot().connection.sessionId).toBe('mem-2');
      expect(closes).toEqual(['peer went away']);
      expect(transport.calls.filter((c) => c === 'start')).toHaveLength(2);
      expect(transport.postsTo('register')).toHaveLength(2);

      await neuron.stop();
      expect(transport.calls.slice(-2)).toEqual(['stop', 'close']);
      expect(neuron.getState()).toBe('stopped');
      await expect.poll(() => resources.sdkLeftovers()).toEqual([]);
    } finally {
      await neuron.stop({ drain: false });
      resources.stop();
    }
  });
});

describe('a custom transport that delivers a malformed frame', () => {
  it('has it checked by the neuron: an error event, no crash, and the next lease still runs', async () => {
    const transport = new MemoryTransport();
    const neuron = new Neuron({ neuronId: 'mem-neuron', transport, heartbeatIntervalMs: 30 });
    neuron.handle(echo, (input) => input);
    const errors: Error[] = [];
    neuron.on('error', (err) => errors.push(err));
    try {
      await neuron.start();
      await expect.poll(() => neuron.snapshot().connection.sessionId).toBe('mem-1');
      transport.deliver({ type: 'lease', leaseId: 'l-bad', capabilityType: 'acme/echo' });
      expect(errors).toMatchObject([
        { name: 'FrameError', reason: 'missing-field', frameType: 'lease' },
      ]);
      transport.deliver({
        type: 'lease',
        leaseId: 'l-good',
        capabilityType: 'acme/echo',
        task: { taskId: 't-good', input: 1 },
      });
      await expect.poll(() => transport.postsTo('ack')).toHaveLength(1);
      expect(neuron.getState()).toBe('serving');
    } finally {
      await neuron.stop({ drain: false });
    }
  });
});

describe('version', () => {
  it('SDK_VERSION equals the version in package.json', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { name: string; version: string };
    expect(SDK_VERSION).toBe(pkg.version);
    expect(pkg.name).toBe('@holokai/neuron-sdk');
  });
});
