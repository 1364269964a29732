import {
  ConfigError,
  type Handler,
  type HandlerContext,
  type LeaseAbortedError,
  type NackFrame,
} from '@holokai/neuron-sdk';
import { createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHarness,
  disposeHarnesses,
  eventsNamed,
  type Harness,
  leaseFrame,
} from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 1 } as const;

/**
 * The gateway never issued the leases `pushLease` sends, so a heartbeat listing one gets it
 * reported lost (rightly). Tests whose pushed leases run for a while keep heartbeats away.
 */
const NO_HEARTBEAT = { neuron: { heartbeatIntervalMs: 60_000 } } as const;

/**
 * A lease straight onto the stream, past the gateway's own dispatch: how a test makes a neuron
 * hold more leases than its concurrency (a real broker may over-deliver). The gateway never issued
 * it, so it answers the outcome 410, but the outcome is on the wire all the same.
 */
function pushLease(h: Harness, leaseId: string, capabilityType = 'acme/echo'): void {
  h.gw.sendFrame('neuron-1', leaseFrame(leaseId, { capabilityType, input: leaseId }));
}

type OutcomeBody = { type: 'ack' | 'nack'; leaseId: string } & Partial<Omit<NackFrame, 'type'>>;

/** Every ack and nack the gateway received, in order. */
function outcomes(h: Harness): OutcomeBody[] {
  return h.gw.requests
    .filter((r) => r.path === 'ack' || r.path === 'nack')
    .map((r) => r.body as OutcomeBody);
}

function outcomesFor(h: Harness, leaseId: string): OutcomeBody[] {
  return outcomes(h).filter((o) => o.leaseId === leaseId);
}

interface Run {
  leaseId: string;
  taskId: string;
  input: unknown;
  ctx: HandlerContext;
  /** Settle the handler with this value (default: its input). */
  release(value?: unknown): void;
}

/**
 * A handler the test drives: each run waits for `release()`. By default it rejects with the
 * signal's reason when aborted; `ignoreAbort` makes it never settle on its own.
 */
function controlled(options: { ignoreAbort?: boolean } = {}) {
  const runs: Run[] = [];
  let active = 0;
  let maxActive = 0;
  const handler: Handler = (input, ctx) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        active--;
        return true;
      };
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push({
        leaseId: ctx.leaseId,
        taskId: ctx.task.taskId,
        input,
        ctx,
        release: (value) => {
          if (settle()) resolve(value === undefined ? input : value);
        },
      });
      if (!options.ignoreAbort) {
        ctx.signal.addEventListener('abort', () => {
          if (settle()) reject(ctx.signal.reason);
        });
      }
    });
  return {
    handler,
    runs,
    active: () => active,
    maxActive: () => maxActive,
    started: () => runs.map((r) => r.leaseId),
    run(leaseIdOrTaskId: string): Run {
      const run = runs.find((r) => r.leaseId === leaseIdOrTaskId || r.taskId === leaseIdOrTaskId);
      if (!run) throw new Error(`no run for ${leaseIdOrTaskId}`);
      return run;
    },
  };
}

function abortReason(run: Run): string | undefined {
  return (run.ctx.signal.reason as LeaseAbortedError | undefined)?.reason;
}

describe('capability-revoked', () => {
  it('nacks the running and queued leases of a revoked capability retryable CAPABILITY_REVOKED, firing ctx.signal with reason revoked', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'running' });
    await expect.poll(() => c.runs.length).toBe(1);
    pushLease(h, 'l-queued');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.queued).toBe(1);

    h.gw.revokeCapability('neuron-1', 'acme/echo', 'deauthorized');
    const leaseId = c.run(task.taskId).leaseId;
    await expect.poll(() => outcomes(h)).toHaveLength(2);
    for (const id of [leaseId, 'l-queued']) {
      expect(outcomesFor(h, id)).toEqual([
        expect.objectContaining({ type: 'nack', kind: 'retryable', code: 'CAPABILITY_REVOKED' }),
      ]);
    }
    expect(abortReason(c.run(task.taskId))).toBe('revoked');
    expect(c.started()).toEqual([leaseId]);
    // The gateway takes the task back; it holds it until the neuron serves the type again.
    expect(h.gw.task(task.taskId)).toMatchObject({ state: 'pending', attempts: 1 });
    await expect
      .poll(() => h.neuron.snapshot().capabilities[0])
      .toMatchObject({ running: 0, queued: 0, served: false });

    // Regression: the queued lease's abort used to leave it in the slot queue, so the running
    // one's freed slot went to it and stayed taken for good. Once served again, the slot is free.
    const registered = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    await registered;
    await expect.poll(() => c.runs.length).toBe(2);
    expect(c.runs[1]?.taskId).toBe(task.taskId);
    c.runs[1]?.release('second delivery');
    expect((await h.gw.waitForTask(task.taskId)).outcome).toMatchObject({
      type: 'ack',
      output: 'second delivery',
    });
    await h.stop();
  });

  it('nacks later leases of a revoked capability UNKNOWN_CAPABILITY until a registered frame lists it again', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    h.neuron.handle({ ...echo, type: 'acme/other' }, c.handler);
    await h.start();
    h.gw.revokeCapability('neuron-1', 'acme/echo');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.served).toBe(false);
    pushLease(h, 'l-after-revoke');
    pushLease(h, 'l-other', 'acme/other');
    await expect
      .poll(() => outcomesFor(h, 'l-after-revoke'))
      .toEqual([expect.objectContaining({ kind: 'retryable', code: 'UNKNOWN_CAPABILITY' })]);
    // Only that capability: the other one is still served.
    await expect.poll(() => c.started()).toEqual(['l-other']);
    c.run('l-other').release();

    // A reconnect registers again; the new `registered` frame lists acme/echo once more.
    const registered = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    expect((await registered).capabilities.map((cap) => cap.type)).toContain('acme/echo');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.served).toBe(true);
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'served again' });
    await expect.poll(() => c.runs.length).toBe(2);
    c.run(task.taskId).release();
    expect((await h.gw.waitForTask(task.taskId)).outcome).toMatchObject({
      type: 'ack',
      output: 'served again',
    });
    await h.stop();
  });
});

describe('concurrency', () => {
  it('updateCapability posts update-capability, lets running handlers continue and opens new slots', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const tasks = [0, 1, 2].map((i) => h.gw.submitTask({ capabilityType: 'acme/echo', input: i }));
    await expect.poll(() => c.active()).toBe(1);

    await h.neuron.updateCapability({ type: 'acme/echo', concurrency: 3 });
    expect(h.gw.requestsTo('update-capability').map((r) => [r.status, r.body])).toEqual([
      [
        202,
        {
          type: 'update-capability',
          neuronId: 'neuron-1',
          capabilityType: 'acme/echo',
          concurrency: 3,
        },
      ],
    ]);
    await expect.poll(() => c.active()).toBe(3);
    expect(c.runs[0]?.ctx.signal.aborted).toBe(false);
    expect(h.neuron.snapshot().capabilities[0]).toMatchObject({ concurrency: 3, running: 3 });
    for (const run of c.runs) run.release();
    for (const t of tasks) {
      expect((await h.gw.waitForTask(t.taskId)).outcome).toMatchObject({ type: 'ack' });
    }
    await h.stop();
  });

  it('after a lower concurrency, running handlers finish and queued leases start only below the new limit', async () => {
    const h = await createHarness(NO_HEARTBEAT);
    const c = controlled();
    h.neuron.handle({ ...echo, concurrency: 2 }, c.handler);
    await h.start();
    for (const id of ['l-1', 'l-2', 'l-3', 'l-4']) pushLease(h, id);
    await expect.poll(() => c.started()).toEqual(['l-1', 'l-2']);
    await h.neuron.updateCapability({ type: 'acme/echo', concurrency: 1 });
    expect(c.runs.every((r) => !r.ctx.signal.aborted)).toBe(true);

    c.run('l-1').release();
    await expect.poll(() => outcomesFor(h, 'l-1')).toHaveLength(1);
    // One still runs, which is the new limit: nothing starts.
    expect(c.started()).toEqual(['l-1', 'l-2']);
    expect(h.neuron.snapshot().capabilities[0]).toMatchObject({ running: 1, queued: 2 });
    c.run('l-2').release();
    await expect.poll(() => c.started()).toEqual(['l-1', 'l-2', 'l-3']);
    c.run('l-3').release();
    await expect.poll(() => c.started()).toEqual(['l-1', 'l-2', 'l-3', 'l-4']);
    c.run('l-4').release();
    await expect.poll(() => outcomes(h)).toHaveLength(4);
    expect(c.maxActive()).toBe(2);
    expect(outcomes(h).every((o) => o.type === 'ack')).toBe(true);
    await h.stop();
  });

  it('updateCapability rejects a type it does not handle and a concurrency that is not an integer ≥ 1', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => 'ok');
    await h.start();
    const unknown = h.neuron.updateCapability({ type: 'acme/nope', concurrency: 2 });
    await expect(unknown).rejects.toBeInstanceOf(ConfigError);
    await expect(unknown).rejects.toThrow(
      'Neuron.updateCapability(): "acme/nope" is not a capability this neuron handles',
    );
    for (const concurrency of [0, -1, 1.5, Number.NaN, '2' as unknown as number]) {
      await expect(h.neuron.updateCapability({ type: 'acme/echo', concurrency })).rejects.toThrow(
        /concurrency of acme\/echo must be an integer ≥ 1, got/,
      );
    }
    expect(h.gw.requestsTo('update-capability')).toEqual([]);
    expect(h.neuron.snapshot().capabilities[0]?.concurrency).toBe(1);
    await h.stop();
  });

  it('an updateCapability before start() is carried by the register frame, without an update-capability POST', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => 'ok');
    await h.neuron.updateCapability({ type: 'acme/echo', concurrency: 5 });
    await h.start();
    const register = h.gw.requestsTo('register')[0]?.body as {
      capabilities: Array<{ concurrency: number }>;
    };
    expect(register.capabilities[0]?.concurrency).toBe(5);
    expect(h.gw.requestsTo('update-capability')).toEqual([]);
    expect(h.gw.neurons()[0]?.capabilities[0]?.concurrency).toBe(5);
    await h.stop();
  });

  it('never runs more handlers of a capability than its concurrency, and starts queued leases in FIFO order', async () => {
    const h = await createHarness(NO_HEARTBEAT);
    const stats = new Map<string, { active: number; max: number; order: string[] }>();
    const make =
      (type: string): Handler =>
      async (input, ctx) => {
        const s = stats.get(type) ?? { active: 0, max: 0, order: [] };
        stats.set(type, s);
        s.active++;
        s.max = Math.max(s.max, s.active);
        s.order.push(ctx.leaseId);
        await new Promise((resolve) => setTimeout(resolve, 2 + (s.order.length % 4) * 4));
        s.active--;
        return input;
      };
    h.neuron.handle({ ...echo, concurrency: 3 }, make('acme/echo'));
    h.neuron.handle({ ...echo, type: 'acme/slow' }, make('acme/slow'));
    await h.start();
    const echoIds: string[] = [];
    const slowIds: string[] = [];
    for (let i = 0; i < 16; i++) {
      if (i % 4 === 3) {
        slowIds.push(`l-slow-${i}`);
        pushLease(h, `l-slow-${i}`, 'acme/slow');
      } else {
        echoIds.push(`l-echo-${i}`);
        pushLease(h, `l-echo-${i}`);
      }
    }
    await expect.poll(() => outcomes(h), { timeout: 5_000 }).toHaveLength(16);
    expect(stats.get('acme/echo')).toMatchObject({ active: 0, max: 3, order: echoIds });
    expect(stats.get('acme/slow')).toMatchObject({ active: 0, max: 1, order: slowIds });
    expect(outcomes(h).every((o) => o.type === 'ack')).toBe(true);
    await h.stop();
  });
});

describe('cancel', () => {
  it('nacks a cancelled queued lease at once, without running it', async () => {
    const h = await createHarness(NO_HEARTBEAT);
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'running' });
    await expect.poll(() => c.runs.length).toBe(1);
    pushLease(h, 'l-q1');
    pushLease(h, 'l-q2');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.queued).toBe(2);
    h.gw.sendFrame('neuron-1', { type: 'cancel', leaseId: 'l-q1', reason: 'user cancelled' });
    await expect
      .poll(() => outcomesFor(h, 'l-q1'))
      .toEqual([
        expect.objectContaining({ type: 'nack', kind: 'cancelled', reason: 'user cancelled' }),
      ]);
    // The running one was not disturbed and nothing else was posted meanwhile.
    expect(h.gw.task(task.taskId)?.state).toBe('leased');
    expect(outcomes(h)).toHaveLength(1);
    c.run(task.taskId).release();
    await expect.poll(() => c.started()).toHaveLength(2);
    expect(c.started()[1]).toBe('l-q2');
    c.run('l-q2').release();
    expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
    await expect.poll(() => outcomesFor(h, 'l-q2')).toHaveLength(1);
    expect(c.started()).not.toContain('l-q1');
    await h.stop();
  });

  it('a cancelled queued lease gives up its place in the queue at once, so a slot freed meanwhile goes to the next one', async () => {
    const h = await createHarness(NO_HEARTBEAT);
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    for (const id of ['l-a', 'l-b', 'l-c']) pushLease(h, id);
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.queued).toBe(2);
    // l-a finishes right as l-b's cancel is handled, while l-b's nack is still on its way.
    h.neuron.on('frame', (frame) => {
      if (frame.type === 'cancel') c.run('l-a').release();
    });
    h.gw.sendFrame('neuron-1', { type: 'cancel', leaseId: 'l-b' });
    await expect.poll(() => c.started()).toEqual(['l-a', 'l-c']);
    c.run('l-c').release();
    await expect
      .poll(() => outcomes(h).map((o) => [o.leaseId, o.kind ?? o.type]))
      .toEqual(
        expect.arrayContaining([
          ['l-a', 'ack'],
          ['l-b', 'cancelled'],
          ['l-c', 'ack'],
        ]),
      );
    await expect
      .poll(() => h.neuron.snapshot().capabilities[0])
      .toMatchObject({ running: 0, queued: 0 });
    await h.stop();
  });

  it('posts the cancelled nack after the cancel grace when a cancelled handler never settles', async () => {
    const h = await createHarness({ neuron: { cancelGraceMs: 150 } });
    const c = controlled({ ignoreAbort: true });
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'stuck' });
    await expect.poll(() => c.runs.length).toBe(1);
    const cancelledAt = Date.now();
    h.gw.cancelTask(task.taskId, 'workflow cancelled');
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('cancelled');
    expect(done.outcome).toMatchObject({ type: 'nack', kind: 'cancelled' });
    const nackAt = h.gw.requestsTo('nack')[0]?.at ?? 0;
    expect(nackAt - cancelledAt).toBeGreaterThanOrEqual(140);
    expect(nackAt - cancelledAt).toBeLessThan(2_000);
    expect(abortReason(c.run(task.taskId))).toBe('cancelled');
    await h.stop();
  });
});

describe('stop()', () => {
  it('with drain, waits for running handlers and their acks, nacks queued leases SHUTDOWN at once and refuses new ones', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'in flight' });
    await expect.poll(() => c.runs.length).toBe(1);
    pushLease(h, 'l-queued');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.queued).toBe(1);
    const closed = h.gw.waitFor('stream:close').then((e) => ({ ...e, at: Date.now() }));

    let stopped = false;
    const stopping = h.neuron.stop({ drain: true, timeoutMs: 10_000 });
    void stopping.then(() => {
      stopped = true;
    });
    expect(h.neuron.stop()).toBe(stopping);
    await expect
      .poll(() => outcomesFor(h, 'l-queued'))
      .toEqual([expect.objectContaining({ kind: 'retryable', code: 'SHUTDOWN' })]);
    expect(h.neuron.getState()).toBe('draining');

    pushLease(h, 'l-late');
    await expect
      .poll(() => outcomesFor(h, 'l-late'))
      .toEqual([expect.objectContaining({ kind: 'retryable', code: 'SHUTDOWN' })]);
    expect(c.started()).toHaveLength(1);
    expect(c.runs[0]?.ctx.signal.aborted).toBe(false);
    expect(h.gw.task(task.taskId)?.state).toBe('leased');
    expect(stopped).toBe(false);

    c.run(task.taskId).release('finished while draining');
    await stopping;
    expect(h.gw.task(task.taskId)?.outcome).toMatchObject({
      type: 'ack',
      output: 'finished while draining',
    });
    const ack = h.gw.requestsTo('ack')[0];
    const close = await closed;
    expect(close.reason).toBe('client');
    expect(ack?.at).toBeLessThanOrEqual(close.at);
    expect(h.gw.neurons()[0]?.streamOpen).toBe(false);
    expect(h.neuron.getState()).toBe('stopped');
    await h.stop();
  });

  it('past timeoutMs, aborts what still runs with signal reason shutdown and nacks it retryable SHUTDOWN', async () => {
    const h = await createHarness();
    const c = controlled({ ignoreAbort: true });
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'too slow' });
    await expect.poll(() => c.runs.length).toBe(1);
    const t0 = Date.now();
    const stopping = h.neuron.stop({ drain: true, timeoutMs: 150 });
    await expect.poll(() => h.gw.requestsTo('nack')).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(h.gw.requestsTo('nack')[0]?.body).toMatchObject({
      leaseId: c.run(task.taskId).leaseId,
      kind: 'retryable',
      code: 'SHUTDOWN',
    });
    expect(abortReason(c.run(task.taskId))).toBe('shutdown');
    await stopping;
    expect(Date.now() - t0).toBeLessThan(2_000);
    // Another neuron should take it.
    expect(h.gw.task(task.taskId)?.state).toBe('pending');
    await h.stop();
  });

  it('without drain, aborts running handlers at once and nacks them and the queued ones SHUTDOWN', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'cut short' });
    await expect.poll(() => c.runs.length).toBe(1);
    pushLease(h, 'l-queued');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.queued).toBe(1);
    const t0 = Date.now();
    await h.neuron.stop({ drain: false });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(abortReason(c.run(task.taskId))).toBe('shutdown');
    expect(outcomes(h)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ leaseId: 'l-queued', kind: 'retryable', code: 'SHUTDOWN' }),
        expect.objectContaining({
          leaseId: c.run(task.taskId).leaseId,
          kind: 'retryable',
          code: 'SHUTDOWN',
        }),
      ]),
    );
    expect(outcomes(h)).toHaveLength(2);
    expect(c.started()).toHaveLength(1);
    await expect.poll(() => h.gw.neurons()[0]?.streamOpen).toBe(false);
    await h.stop();
  });

  it('before start() resolves without touching the gateway, and a second call returns the same promise', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, () => 'ok');
    const first = h.neuron.stop();
    expect(h.neuron.stop({ drain: false })).toBe(first);
    await first;
    expect(h.gw.requests).toEqual([]);
    expect(h.neuron.getState()).toBe('idle');
    await h.stop();
  });
});

describe('heartbeat answers', () => {
  it('fires the signal of a lease the gateway reports lost with reason lost and posts no outcome for it', async () => {
    const h = await createHarness({ gateway: { reaperIntervalMs: 20 } });
    const c = controlled();
    h.neuron.handle(echo, async (input, ctx) =>
      ctx.task.attempt === 1 ? c.handler(input, ctx) : 'second attempt',
    );
    await h.start();
    // Heartbeats fail until the gateway has reclaimed the lease, so none renews it.
    h.gw.failNext('heartbeat', { status: 503, times: 1_000 });
    const reclaimed = h.gw.waitFor('lease:reclaimed');
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1, leaseTtlMs: 100 });
    const { leaseId } = await reclaimed;
    h.gw.clearFaults();

    const done = await h.gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({ type: 'ack', output: 'second attempt' });
    expect(done.history[0]).toMatchObject({ leaseId, end: 'expired' });
    expect(abortReason(c.run(leaseId))).toBe('lost');
    // The heartbeat that listed it was answered: that answer reported it lost.
    const listed = h.gw
      .requestsTo('heartbeat')
      .filter((r) =>
        (r.body as { inFlight: Array<{ leaseId: string }> }).inFlight.some(
          (l) => l.leaseId === leaseId,
        ),
      );
    expect(listed.map((r) => r.status)).toContain(200);
    expect(outcomesFor(h, leaseId)).toEqual([]);
    expect(eventsNamed(h.events, 'lease:settled').map(([s]) => s)).toContainEqual(
      expect.objectContaining({ leaseId, settlement: 'lost', outcome: undefined }),
    );
    await h.stop();
  });

  it('moves ctx.deadline forward to the expiresAt a heartbeat answer renews', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1, leaseTtlMs: 10_000 });
    await expect.poll(() => c.runs.length).toBe(1);
    const run = c.run(task.taskId);
    const lease = eventsNamed(h.events, 'frame').find(([f]) => f.type === 'lease')?.[0] as {
      expiresAt: string;
    };
    const first = run.ctx.deadline!.getTime();
    expect(first).toBe(Date.parse(lease.expiresAt));
    await expect
      .poll(() => {
        const renewed = h.gw.task(task.taskId)?.history[0]?.expiresAt ?? 0;
        return renewed > first && run.ctx.deadline!.getTime() === renewed;
      })
      .toBe(true);
    run.release();
    await h.gw.waitForTask(task.taskId);
    await h.stop();
  });

  it('gives a ctx that survives destructuring and spreading: deadline and signal read when taken, log, progress and fail working detached', async () => {
    const logger = createRecordingLogger();
    const h = await createHarness({ neuron: { logger } });
    const seen: Array<Record<string, unknown>> = [];
    h.neuron.handle(echo, async (input, ctx) => {
      const { signal, deadline, leaseId, task, log, progress, fail } = ctx;
      const spread = { ...ctx };
      seen.push({ signal, deadline, leaseId, task, spread, keys: Object.keys(ctx) });
      // Called without `ctx.` in front, as destructuring leaves them.
      log.info({ step: 1 }, 'logged detached');
      progress({ percent: 50 });
      if (input === 'fail') fail('failed detached', { code: 'DETACHED' });
      return input;
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 7, leaseTtlMs: 10_000 });
    expect((await h.gw.waitForTask(task.taskId)).outcome).toMatchObject({ type: 'ack', output: 7 });
    expect(seen).toHaveLength(1);
    const got = seen[0] as Record<string, unknown>;
    const leaseId = h.gw.task(task.taskId)?.history[0]?.leaseId;
    const lease = eventsNamed(h.events, 'frame').find(([f]) => f.type === 'lease')?.[0] as {
      expiresAt: string;
    };
    expect(got.signal).toBeInstanceOf(AbortSignal);
    expect((got.deadline as Date).getTime()).toBe(Date.parse(lease.expiresAt));
    expect(got.leaseId).toBe(leaseId);
    expect((got.task as { taskId?: string }).taskId).toBe(task.taskId);
    const spread = got.spread as Record<string, unknown>;
    expect(spread.signal).toBe(got.signal);
    expect(spread.deadline).toEqual(got.deadline);
    expect((got.keys as string[]).sort()).toEqual(
      ['deadline', 'fail', 'leaseId', 'log', 'progress', 'signal', 'task'].sort(),
    );
    expect(logger.logs).toContainEqual(
      expect.objectContaining({
        msg: 'logged detached',
        meta: expect.objectContaining({ step: 1, leaseId }),
      }),
    );
    await expect.poll(() => h.gw.requestsTo('progress').length).toBe(1);
    const failed = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'fail' });
    expect((await h.gw.waitForTask(failed.taskId)).outcome).toEqual({
      type: 'nack',
      kind: 'terminal',
      reason: 'failed detached',
      code: 'DETACHED',
    });
    await h.stop();
  });
});

describe('disconnects and snapshots', () => {
  it('a dropped stream does not abort running handlers: their ack is posted after the reconnect', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'survives' });
    await expect.poll(() => c.runs.length).toBe(1);
    const registered = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    await registered;
    expect(eventsNamed(h.events, 'connection:close')).toHaveLength(1);
    expect(c.run(task.taskId).ctx.signal.aborted).toBe(false);
    c.run(task.taskId).release();
    const done = await h.gw.waitForTask(task.taskId);
    expect(done).toMatchObject({ state: 'acked', attempts: 1 });
    expect(done.outcome).toMatchObject({ type: 'ack', output: 'survives' });
    await h.stop();
  });

  it('snapshot() shows the connection state, per-capability running and queued counts and each lease state', async () => {
    const h = await createHarness();
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    h.neuron.handle({ ...echo, type: 'acme/idle', concurrency: 2 }, () => 'ok');
    expect(h.neuron.snapshot()).toEqual({
      state: 'idle',
      connection: { state: 'idle', sessionId: undefined, attempt: 0 },
      capabilities: [
        { type: 'acme/echo', concurrency: 1, running: 0, queued: 0, served: false },
        { type: 'acme/idle', concurrency: 2, running: 0, queued: 0, served: false },
      ],
      leases: [],
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    await expect.poll(() => c.runs.length).toBe(1);
    pushLease(h, 'l-queued');
    await expect.poll(() => h.neuron.snapshot().capabilities[0]?.queued).toBe(1);

    const snap = h.neuron.snapshot();
    const running = c.run(task.taskId).leaseId;
    expect(snap.state).toBe('serving');
    expect(snap.connection.state).toContain('registered');
    expect(snap.connection.sessionId).toBe(h.gw.neurons()[0]?.sessionId);
    expect(snap.capabilities).toEqual([
      { type: 'acme/echo', concurrency: 1, running: 1, queued: 1, served: true },
      { type: 'acme/idle', concurrency: 2, running: 0, queued: 0, served: true },
    ]);
    expect(snap.leases).toEqual([
      {
        leaseId: running,
        taskId: task.taskId,
        capabilityType: 'acme/echo',
        state: 'executing.running',
        expiresAt: expect.any(String),
      },
      {
        leaseId: 'l-queued',
        taskId: 't-l-queued',
        capabilityType: 'acme/echo',
        state: 'queued',
        expiresAt: expect.any(String),
      },
    ]);

    // Heartbeats list the running lease only, never the queued one.
    const beat = await h.gw.waitFor('request', (r) => r.path === 'heartbeat');
    expect((beat.body as { inFlight: Array<{ leaseId: string }> }).inFlight).toEqual([
      expect.objectContaining({ leaseId: running, taskId: task.taskId }),
    ]);

    c.run(task.taskId).release();
    await expect.poll(() => c.started()).toEqual([running, 'l-queued']);
    c.run('l-queued').release();
    await expect.poll(() => h.neuron.snapshot().leases).toEqual([]);
    await h.neuron.stop();
    // Regression: the session id used to outlive stop().
    expect(h.neuron.snapshot()).toMatchObject({
      state: 'stopped',
      connection: { state: 'stopped', sessionId: undefined },
    });
    await h.stop();
  });
});
