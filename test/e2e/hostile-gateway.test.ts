/**
 * A gateway that misbehaves (issue 11's examples): bodies of the wrong shape, numbers out of any
 * sane range, `Retry-After` values that would make a hot loop, handlers that pass bad values
 * through `ctx`, and leases that arrive already expired. The neuron stays alive, its loops keep
 * their floors, and nothing malformed goes on the wire.
 */
import { GatewayAnswerError, type NeuronLogger } from '@holokai/neuron-sdk';
import { createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFrame as gatewayCheck } from '../../src/dev-gateway/validate.js';
import type { PostPath } from '../../src/protocol/frames.js';
import {
  createHarness,
  disposeHarnesses,
  eventsNamed,
  type Harness,
  leaseFrame,
} from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 4 } as const;

async function acked(h: Harness, input: unknown = 1) {
  const task = h.gw.submitTask({ capabilityType: echo.type, input });
  return h.gw.waitForTask(task.taskId);
}

/** Every frame the neuron posted passes the gateway's own frame check. */
function expectWellFormedPosts(h: Harness): void {
  for (const request of h.gw.requests) {
    if (request.method !== 'POST' || request.path === 'unknown') continue;
    const checked = gatewayCheck(request.path as PostPath, request.body);
    expect('problem' in checked ? checked.problem : 'ok', request.path).toBe('ok');
  }
}

describe('heartbeat answers of the wrong shape', () => {
  for (const body of [{ lost: 5 }, { leases: 'x' }, { leases: [null] }, [1, 2], 'text', 42]) {
    it(`keep the neuron heartbeating and acking after ${JSON.stringify(body)}`, async () => {
      const h = await createHarness({ neuron: { heartbeatIntervalMs: 40 } });
      let release = (): void => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      h.neuron.handle(echo, async (input) => {
        await gate;
        return input;
      });
      await h.start();
      const task = h.gw.submitTask({ capabilityType: echo.type, input: 'held' });
      h.gw.failNext('heartbeat', { status: 200, body, times: 3 });
      await expect.poll(() => h.gw.requestsTo('heartbeat').length).toBeGreaterThan(5);
      release();
      expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
      expect(h.neuron.getState()).toBe('serving');
      const reported = h.errors.filter((e) => e instanceof GatewayAnswerError);
      // Three malformed answers in a row are one episode: one event.
      expect(reported.length).toBe(1);
      expect(reported[0]?.message).toMatch(/heartbeat answer/);
      expect((await acked(h)).state).toBe('acked');
      await h.stop();
    });
  }

  it('uses the well-formed entries of an answer that also has bad ones', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 40 } });
    let signal: AbortSignal | undefined;
    h.neuron.handle(echo, (_input, ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: echo.type, input: 1 });
    await expect.poll(() => signal).toBeDefined();
    const leaseId = h.gw.task(task.taskId)?.leaseId;
    h.gw.failNext('heartbeat', { status: 200, body: { leases: [null, 7], lost: [3, leaseId] } });
    await expect.poll(() => signal?.aborted).toBe(true);
    expect(eventsNamed(h.events, 'lease:settled')[0]?.[0].settlement).toBe('lost');
    await h.stop();
  });
});

describe('registered frames', () => {
  /** A neuron heartbeating every 40 ms, sent a second `registered` frame with `extra`. */
  async function reregistered(extra: Record<string, unknown>, logger?: NeuronLogger) {
    const h = await createHarness({
      neuron: { heartbeatIntervalMs: 40, ...(logger ? { logger } : {}) },
    });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const registered = () => eventsNamed(h.events, 'connection:registered').length;
    await expect.poll(registered).toBe(1);
    const sessionId = h.gw.neurons()[0]?.sessionId ?? '';
    h.gw.sendFrame('neuron-1', { type: 'registered', sessionId, capabilities: [echo], ...extra });
    await expect.poll(registered).toBe(2);
    // The interval in force applies from the next beat on.
    const beats = h.gw.requestsTo('heartbeat').length;
    await expect.poll(() => h.gw.requestsTo('heartbeat').length).toBeGreaterThan(beats);
    return h;
  }

  async function beatsWithin(h: Harness, ms: number): Promise<number> {
    const before = h.gw.requestsTo('heartbeat').length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return h.gw.requestsTo('heartbeat').length - before;
  }

  it('hold a heartbeatIntervalMs over 2³¹−1 ms out instead of heartbeating every millisecond', async () => {
    const log = createRecordingLogger();
    const h = await reregistered({ heartbeatIntervalMs: 3_000_000_000 }, log);
    // Left out as out of range: the neuron keeps its own 40 ms, not Node's 1 ms overflow.
    expect(await beatsWithin(h, 300)).toBeLessThanOrEqual(10);
    expect(log.logs.some((l) => /heartbeatIntervalMs.*ignored/.test(l.msg ?? ''))).toBe(true);
    await h.stop();
  });

  it('hold a heartbeatIntervalMs of 1 ms to the 100 ms floor', async () => {
    const h = await reregistered({ heartbeatIntervalMs: 1 });
    const count = await beatsWithin(h, 450);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(5);
    await h.stop();
  });

  it('with one bad optional field still register the neuron', async () => {
    const h = await reregistered({ rejected: 'none', heartbeatIntervalMs: 200 });
    const [info] = eventsNamed(h.events, 'connection:registered').at(-1) ?? [];
    expect(info).toMatchObject({ capabilities: 1, rejected: [] });
    const count = await beatsWithin(h, 300);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(2);
    await h.stop();
  });
});

describe('Retry-After on an outcome POST', () => {
  for (const retryAfter of ['0', '-1', 'Sun, 06 Nov 1994 08:49:37 GMT', '1e3', 'soon']) {
    it(`never retries an ack faster than the 500 ms floor (Retry-After: ${retryAfter})`, async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('ack', { status: 503, retryAfter });
      expect((await acked(h)).state).toBe('acked');
      const tries = h.gw.requestsTo('ack').map((r) => r.at);
      expect(tries).toHaveLength(2);
      expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(450);
      await h.stop();
    });
  }
});

describe('what a handler passes through ctx from plain JavaScript', () => {
  it('fails with a nack the gateway accepts when the code is not a string', async () => {
    const log = createRecordingLogger();
    const h = await createHarness({ neuron: { logger: log } });
    h.neuron.handle(echo, (_input, ctx) => ctx.fail('not found', { code: 404 as never }));
    await h.start();
    const task = h.gw.submitTask({ capabilityType: echo.type, input: 1, maxAttempts: 1 });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('failed');
    expect(done.outcome).toMatchObject({ type: 'nack', kind: 'terminal', reason: 'not found' });
    expect(done.outcome).not.toHaveProperty('code');
    expect(h.gw.requestsTo('nack').map((r) => r.status)).toEqual([200]);
    expect(log.logs.some((l) => l.level === 'warn' && /code must be/.test(l.msg ?? ''))).toBe(true);
    expectWellFormedPosts(h);
    await h.stop();
  });

  it('reports progress without the bad fields and still acks', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, async (input, ctx) => {
      ctx.progress({ percent: 'abc', message: 'working' } as never);
      ctx.progress({ percent: Number.NaN, message: 7, data: { big: 1n } } as never);
      ctx.progress({ percent: 50, leaseId: 'l-forged', type: 'ack' } as never);
      ctx.progress(null as never);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return input;
    });
    await h.start();
    expect((await acked(h)).state).toBe('acked');
    const progress = h.gw.requestsTo('progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const request of progress) {
      expect(request.status).toBe(202);
      expect(request.body).not.toHaveProperty('data');
      expect((request.body as { type: string }).type).toBe('progress');
    }
    expectWellFormedPosts(h);
    await h.stop();
  });

  it('nacks with a bounded reason when the handler throws a huge message', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => {
      throw new Error('x'.repeat(1_000_000));
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: echo.type, input: 1, maxAttempts: 1 });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({ type: 'nack', kind: 'retryable' });
    const reason = (done.outcome as { reason: string }).reason;
    expect(reason.length).toBeLessThanOrEqual(4_096);
    await h.stop();
  });
});

describe('a lease that arrives already expired', () => {
  it('settles expired without running and without an outcome', async () => {
    const h = await createHarness();
    let ran = 0;
    h.neuron.handle(echo, (input) => {
      ran++;
      return input;
    });
    await h.start();
    const frame = {
      ...leaseFrame('l-late'),
      expiresAt: new Date(Date.now() - 1_000).toISOString(),
    };
    h.gw.sendFrame('neuron-1', frame);
    await expect.poll(() => eventsNamed(h.events, 'lease:settled').length).toBe(1);
    expect(eventsNamed(h.events, 'lease:settled')[0]?.[0]).toMatchObject({
      leaseId: 'l-late',
      settlement: 'expired',
      outcome: undefined,
    });
    expect((await acked(h)).state).toBe('acked');
    expect(ran).toBe(1);
    expect(
      h.gw.requestsTo('ack').map((r) => (r.body as { leaseId: string }).leaseId),
    ).not.toContain('l-late');
    expect(h.gw.requestsTo('nack')).toEqual([]);
    await h.stop();
  });
});
