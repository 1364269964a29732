/**
 * Handlers that misbehave: throw values that are not Errors (hostile ones included), never
 * settle, ignore their signal, return 5 MB of output or a circular object. Each is classified per
 * PROTOCOL.md's outcome table, the lease never hangs, and `stop()` finishes within `timeoutMs` +
 * `shutdownGraceMs` + a small grace (STOP_GRACE_MS, the time to post the last nacks on loopback).
 */
import type { Handler } from '@holokai/neuron-sdk';
import { describe, it } from 'vitest';
import { expectBooksSettled } from './support/books.js';
import { eventsNamed, lightHarness } from './support/light-harness.js';
import { controlled } from './support/runs.js';

/** What `stop()` may take beyond `timeoutMs` + `shutdownGraceMs` (README "Guarantees"). */
const STOP_GRACE_MS = 250;

const revoked = Proxy.revocable({}, {});
revoked.revoke();
const badMessage = new Error('x');
Object.defineProperty(badMessage, 'message', {
  get() {
    throw new Error('no message for you');
  },
});

/** name → [what the handler does, the nack it must cause]. */
const cases: Record<string, [() => unknown, { kind: string; reason: string; code?: string }]> = {
  string: [
    () => {
      throw 'plain string';
    },
    { kind: 'retryable', reason: 'plain string' },
  ],
  number: [
    () => {
      throw 42;
    },
    { kind: 'retryable', reason: 'non-Error thrown: 42' },
  ],
  null: [
    () => {
      throw null;
    },
    { kind: 'retryable', reason: 'non-Error thrown: null' },
  ],
  undefined: [
    () => Promise.reject(undefined),
    { kind: 'retryable', reason: 'non-Error thrown: undefined' },
  ],
  bigint: [
    () => {
      throw 10n;
    },
    { kind: 'retryable', reason: 'non-Error thrown: 10' },
  ],
  'an object whose toJSON and toString throw': [
    () => {
      throw {
        toJSON() {
          throw new Error('a');
        },
        toString() {
          throw new Error('b');
        },
      };
    },
    { kind: 'retryable', reason: 'the handler threw a value that cannot be described' },
  ],
  'a revoked Proxy': [
    () => {
      throw revoked.proxy;
    },
    { kind: 'retryable', reason: 'the handler threw a value that cannot be described' },
  ],
  'an Error whose message getter throws': [
    () => {
      throw badMessage;
    },
    { kind: 'retryable', reason: 'the handler threw a value that cannot be described' },
  ],
  'an output whose getter throws': [
    () => ({
      get x() {
        throw new Error('getter');
      },
    }),
    {
      kind: 'terminal',
      reason: "the handler's output is not JSON-serializable: serializing it threw: getter",
      code: 'OUTPUT_NOT_SERIALIZABLE',
    },
  ],
  'a circular output': [
    () => {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    },
    {
      kind: 'terminal',
      reason: "the handler's output is not JSON-serializable: it contains a circular reference",
      code: 'OUTPUT_NOT_SERIALIZABLE',
    },
  ],
};

describe.concurrent('handlers that throw anything or return the unsendable', () => {
  it('classifies every one per PROTOCOL.md and never leaves a lease hanging (regression: hostile throws hung the lease)', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, { gateway: { maxAttempts: 1 } });
    const run: Handler = (input) => cases[input as string]![0]();
    h.neuron.handle({ type: 'acme/bad', scope: 'any', concurrency: 16 }, run);
    // The same through an output schema: its validator meets the hostile output first.
    h.neuron.handle(
      {
        type: 'acme/bad-schema',
        scope: 'any',
        concurrency: 16,
        outputSchema: { type: 'object', properties: { x: { type: 'string' } } },
      },
      run,
    );
    await h.start();
    const submitted = Object.keys(cases).flatMap((name) =>
      ['acme/bad', 'acme/bad-schema'].map((capabilityType) => ({
        name,
        capabilityType,
        task: h.gw.submitTask({ capabilityType, input: name }),
      })),
    );
    for (const { name, capabilityType, task } of submitted) {
      const done = await h.gw.waitForTask(task.taskId, undefined, { timeoutMs: 3_000 });
      const expected = cases[name]![1];
      if (capabilityType === 'acme/bad-schema' && name === 'an output whose getter throws') {
        // The schema's validator reads the getter before serialization does.
        expect(done.outcome, name).toEqual({
          type: 'nack',
          kind: 'terminal',
          reason: "checking the handler's output threw: getter",
          code: 'OUTPUT_NOT_SERIALIZABLE',
        });
      } else {
        expect(done.outcome, `${capabilityType} ${name}`).toEqual({ type: 'nack', ...expected });
      }
    }
    expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ nacked: submitted.length });
    expect(h.neuron.getState()).toBe('serving');
    await h.stop();
  });

  it('acks 5 MB of output intact', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx);
    const blob = 'x'.repeat(5 * 1024 * 1024);
    h.neuron.handle({ type: 'acme/big', scope: 'any', concurrency: 1 }, () => ({ blob }));
    await h.start();
    const started = Date.now();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/big', input: null }).taskId,
    );
    expect(done.state).toBe('acked');
    expect((done.outcome as { output: { blob: string } }).output.blob.length).toBe(blob.length);
    expect(Date.now() - started).toBeLessThan(3_000);
    await h.stop();
  });
});

describe.concurrent('handlers that never settle or ignore their signal', () => {
  it('a cancelled handler that ignores its signal is nacked cancelled after cancelGraceMs', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, { neuron: { cancelGraceMs: 300 } });
    const c = controlled();
    h.neuron.handle({ type: 'acme/deaf', scope: 'any', concurrency: 1 }, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/deaf', input: 1 });
    const run = await c.started(task.taskId);
    const cancelledAt = Date.now();
    h.gw.cancelTask(task.taskId, 'user gave up');
    const done = await h.gw.waitForTask(task.taskId);
    const took = Date.now() - cancelledAt;
    expect(run.ctx.signal.aborted).toBe(true);
    expect(done).toMatchObject({
      state: 'cancelled',
      outcome: { type: 'nack', kind: 'cancelled' },
    });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(300 + STOP_GRACE_MS);
    await h.stop();
  });

  for (const drain of [true, false]) {
    it(`stop({ drain: ${drain} }) with handlers that never settle and ignore their signal finishes within timeoutMs + shutdownGraceMs + ${STOP_GRACE_MS} ms, nacking them SHUTDOWN`, async (ctx) => {
      const { expect } = ctx;
      const shutdownGraceMs = 300;
      const timeoutMs = 500;
      const h = await lightHarness(ctx, {
        gateway: { maxAttempts: 1 },
        neuron: { shutdownGraceMs },
      });
      const c = controlled();
      h.neuron.handle({ type: 'acme/stuck', scope: 'any', concurrency: 3 }, c.handler);
      await h.start();
      const tasks = [1, 2, 3].map((n) =>
        h.gw.submitTask({ capabilityType: 'acme/stuck', input: n }),
      );
      for (const t of tasks) await c.started(t.taskId);
      const started = Date.now();
      await h.neuron.stop({ drain, timeoutMs });
      const took = Date.now() - started;
      console.info(
        `stop({ drain: ${drain}, timeoutMs: ${timeoutMs} }), shutdownGraceMs ${shutdownGraceMs}: ${took} ms`,
      );
      expect(took).toBeLessThan((drain ? timeoutMs : 0) + shutdownGraceMs + STOP_GRACE_MS);
      if (drain) expect(took).toBeGreaterThanOrEqual(timeoutMs - 10);
      for (const r of c.runs) expect(r.ctx.signal.reason).toMatchObject({ reason: 'shutdown' });
      const outcomes = tasks.map((t) => h.gw.task(t.taskId)?.outcome);
      for (const o of outcomes)
        expect(o).toMatchObject({ type: 'nack', kind: 'retryable', code: 'SHUTDOWN' });
      expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ nacked: 3 });
      expect(eventsNamed(h.events, 'lease:settled')).toHaveLength(3);
      await h.stop();
    });
  }

  it('stop() against a gateway that no longer answers still finishes within timeoutMs + shutdownGraceMs + the grace (regression: it waited another requestTimeoutMs)', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, {
      neuron: { shutdownGraceMs: 300, requestTimeoutMs: 5_000 },
    });
    const c = controlled();
    h.neuron.handle({ type: 'acme/stuck', scope: 'any', concurrency: 1 }, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/stuck', input: 1 });
    await c.started(task.taskId);
    for (const path of ['ack', 'nack', 'heartbeat'] as const) {
      h.gw.failNext(path, { status: 200, body: {}, delayMs: 60_000, times: 100 });
    }
    const started = Date.now();
    await h.neuron.stop({ timeoutMs: 500 });
    console.info(
      `stop() against a hung gateway (timeoutMs 500, shutdownGraceMs 300): ${Date.now() - started} ms`,
    );
    expect(Date.now() - started).toBeLessThan(500 + 300 + STOP_GRACE_MS);
    // The SHUTDOWN nack was on the wire, unanswered; the gateway saw the client give up.
    await expect.poll(() => h.gw.requestsTo('nack').map((r) => r.abandoned)).toEqual([true]);
    await h.stop();
  });
});
