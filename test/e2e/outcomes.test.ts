import { defineCapability } from '@holokai/neuron-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHarness, disposeHarnesses, leaseFrame } from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 4 } as const;

describe('outcomes (PROTOCOL.md outcome table)', () => {
  it('acks the value a handler returns, with its duration', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, async (input) => ({ echoed: input }));
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: { text: 'hi' } });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('acked');
    expect(done.outcome).toMatchObject({ type: 'ack', output: { echoed: { text: 'hi' } } });
    expect(h.gw.requestsTo('ack')[0]?.body).toMatchObject({
      type: 'ack',
      neuronId: 'neuron-1',
      leaseId: done.leaseId,
      taskId: task.taskId,
      durationMs: expect.any(Number),
    });
    await h.stop();
  });

  it('acks a sync handler, and acks undefined as null', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => undefined);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({ type: 'ack', output: null });
    await h.stop();
  });

  it('nacks retryable when the handler throws anything, Error or not', async () => {
    const h = await createHarness({ gateway: { maxAttempts: 1 } });
    const thrown: unknown[] = [new Error('upstream 503'), 'a string', { code: 42 }];
    h.neuron.handle(echo, async (input) => {
      throw thrown[input as number];
    });
    await h.start();
    const tasks = [0, 1, 2].map((i) => h.gw.submitTask({ capabilityType: 'acme/echo', input: i }));
    const done = await Promise.all(tasks.map((t) => h.gw.waitForTask(t.taskId)));
    expect(done.map((t) => t.outcome)).toEqual([
      { type: 'nack', kind: 'retryable', reason: 'upstream 503' },
      { type: 'nack', kind: 'retryable', reason: 'a string' },
      { type: 'nack', kind: 'retryable', reason: 'non-Error thrown: {"code":42}' },
    ]);
    await h.stop();
  });

  it('nacks terminal with the code given to ctx.fail, even when the handler caught the throw', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, async (input, ctx) => {
      try {
        ctx.fail('invalid API key', { code: 'INVALID_API_KEY' });
      } catch {
        // swallowed on purpose: the failure still counts
      }
      return input === 'throw-after' ? Promise.reject(new Error('later')) : 'ok';
    });
    await h.start();
    const a = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'return' });
    const b = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'throw-after' });
    for (const t of [a, b]) {
      const done = await h.gw.waitForTask(t.taskId);
      expect(done.outcome).toEqual({
        type: 'nack',
        kind: 'terminal',
        reason: 'invalid API key',
        code: 'INVALID_API_KEY',
      });
    }
    await h.stop();
  });

  it('nacks schema-mismatch for bad input without calling the handler, and for bad output', async () => {
    const h = await createHarness();
    let calls = 0;
    h.neuron.handle(
      {
        ...echo,
        inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
        outputSchema: {
          type: 'object',
          properties: { doubled: { type: 'number' } },
          required: ['doubled'],
        },
      },
      async (input) => {
        calls++;
        const { n } = input as { n: number };
        return n < 0 ? { doubled: 'negative' } : { doubled: n * 2 };
      },
    );
    await h.start();
    const bad = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: { n: 'x' } }).taskId,
    );
    expect(calls).toBe(0);
    expect(bad.outcome).toMatchObject({
      type: 'nack',
      kind: 'schema-mismatch',
      details: { phase: 'input', errors: [{ path: '/n', message: expect.any(String) }] },
    });
    const badOut = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: { n: -1 } }).taskId,
    );
    expect(badOut.outcome).toMatchObject({
      kind: 'schema-mismatch',
      details: { phase: 'output', errors: [{ path: '/doubled' }] },
    });
    const good = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: { n: 2 } }).taskId,
    );
    expect(good.outcome).toMatchObject({ type: 'ack', output: { doubled: 4 } });
    await h.stop();
  });

  it('validates with zod through defineCapability: transforms reach the handler and the wire', async () => {
    const h = await createHarness();
    const cap = defineCapability({
      type: 'acme/upper',
      input: z.object({ text: z.string().transform((s) => s.toUpperCase()) }),
      output: z.object({ text: z.string(), length: z.number() }),
      concurrency: 2,
    });
    h.neuron.handle(cap, async (input) => ({ text: input.text, length: input.text.length }));
    await h.start();
    const register = h.gw.requestsTo('register')[0]?.body as {
      capabilities: Array<Record<string, unknown>>;
    };
    expect(register.capabilities[0]).toMatchObject({
      type: 'acme/upper',
      scope: 'any',
      concurrency: 2,
      inputSchema: expect.objectContaining({ type: 'object' }),
      outputSchema: expect.objectContaining({ type: 'object' }),
    });
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/upper', input: { text: 'abc' } }).taskId,
    );
    expect(done.outcome).toMatchObject({ type: 'ack', output: { text: 'ABC', length: 3 } });
    await h.stop();
  });

  it('nacks terminal OUTPUT_NOT_SERIALIZABLE for a circular output', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    });
    await h.start();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 }).taskId,
    );
    expect(done.outcome).toMatchObject({
      type: 'nack',
      kind: 'terminal',
      code: 'OUTPUT_NOT_SERIALIZABLE',
    });
    await h.stop();
  });

  it('nacks cancelled when the gateway cancels a running lease, firing ctx.signal with the reason', async () => {
    const h = await createHarness();
    const reasons: unknown[] = [];
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    h.neuron.handle(
      echo,
      (_input, ctx) =>
        new Promise((_resolve, reject) => {
          started();
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          });
        }),
    );
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    await running;
    h.gw.cancelTask(task.taskId, 'workflow cancelled');
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('cancelled');
    expect(done.outcome).toMatchObject({ type: 'nack', kind: 'cancelled' });
    expect(reasons[0]).toMatchObject({ name: 'AbortError', reason: 'cancelled' });
    await h.stop();
  });

  it('nacks retryable UNKNOWN_CAPABILITY for a lease of a capability it does not serve', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => 'ok');
    await h.start();
    h.gw.sendFrame('neuron-1', leaseFrame('l-stray', { capabilityType: 'acme/other' }));
    await expect
      .poll(() => h.gw.requestsTo('nack').map((r) => r.body))
      .toContainEqual(
        expect.objectContaining({
          leaseId: 'l-stray',
          kind: 'retryable',
          code: 'UNKNOWN_CAPABILITY',
        }),
      );
    await h.stop();
  });
});
