import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ActorRefFrom,
  type AnyEventObject,
  createActor,
  fromCallback,
  fromPromise,
  setup,
} from 'xstate';
import { leaseMachine, type Outcome, type PostOutcomeInput } from '../../machines/lease.js';
import { type LeaseDelivery, type LeasePoolLogic, leasePool } from '../../machines/lease-pool.js';

const ack: Outcome = { kind: 'ack', output: { ok: true } };

function harness(options: { throwingHandlers?: string[] } = {}) {
  const events: AnyEventObject[] = [];
  const log: string[] = [];
  const posted: PostOutcomeInput[] = [];
  const handlers = new Map<string, (outcome: Outcome) => void>();
  const lease = leaseMachine.provide({
    actors: {
      validateInput: fromPromise(async ({ input }) => input.input),
      runHandler: fromCallback(({ input, sendBack }) => {
        if (options.throwingHandlers?.includes(input.leaseId)) {
          throw new Error(`handler ${input.leaseId} blew up`);
        }
        log.push(`start:${input.leaseId}`);
        handlers.set(input.leaseId, (outcome) => sendBack({ type: 'handler.settled', outcome }));
        return () => log.push(`cleanup:${input.leaseId}`);
      }),
      postOutcome: fromPromise<void, PostOutcomeInput>(async ({ input }) => {
        posted.push(input);
      }),
    },
  });
  const parentMachine = setup({ actors: { leases: leasePool(lease) } }).createMachine({
    invoke: { id: 'leases', src: 'leases' },
    on: { '*': { actions: ({ event }) => events.push(event) } },
  });
  const parent = createActor(parentMachine);
  parent.start();
  const pool = parent.getSnapshot().children.leases as ActorRefFrom<LeasePoolLogic>;
  const spawn = (leaseId: string): void => {
    const now = Date.now();
    pool.send({
      type: 'spawn-lease',
      input: {
        frame: {
          type: 'lease',
          leaseId,
          capabilityType: 'acme/echo',
          task: { taskId: `t-${leaseId}`, input: { leaseId } },
        },
        receivedAt: now,
        expiresAt: now + 30_000,
        cancelGraceMs: 5_000,
      },
    });
  };
  const deliver = (...deliveries: LeaseDelivery[]): void =>
    pool.send({ type: 'deliver', deliveries });
  const start = (...leaseIds: string[]): void =>
    deliver(...leaseIds.map((leaseId) => ({ leaseId, event: { type: 'start' as const } })));
  return {
    parent,
    pool,
    events,
    log,
    posted,
    handlers,
    spawn,
    deliver,
    start,
    leases: () => pool.getSnapshot().leases,
    leaseEvents: () => events.filter((e) => e.type.startsWith('lease.')),
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('lease pool', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('spawns and starts a lease actor under its leaseId, live in the snapshot map', async () => {
    const h = harness();
    h.spawn('a');
    const a = h.leases().get('a');
    expect(a?.id).toBe('a');
    expect(a?.getSnapshot()).toMatchObject({ status: 'active', value: 'validating' });
    await flush();
    expect(h.leases().get('a')?.getSnapshot().value).toBe('queued');
    expect(h.leases().size).toBe(1);
    expect(h.pool.getSnapshot().status).toBe('active');
  });

  it("passes a lease's notifications to its parent unchanged and in order", async () => {
    const h = harness();
    h.spawn('a');
    await flush();
    h.start('a');
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.leaseEvents()).toEqual([
      { type: 'lease.queued', leaseId: 'a' },
      { type: 'lease.slot-released', leaseId: 'a' },
      {
        type: 'lease.settled',
        leaseId: 'a',
        taskId: 't-a',
        capabilityType: 'acme/echo',
        settlement: 'delivered',
        outcome: ack,
        durationMs: 0,
      },
    ]);
    // Nothing but the notifications reaches the parent: the lease's `done` event ends in the pool.
    expect(h.events.map((e) => e.type)).toEqual([
      'lease.queued',
      'lease.slot-released',
      'lease.settled',
    ]);
  });

  it('routes each delivery to the lease it names, in one batch', async () => {
    const h = harness();
    h.spawn('a');
    h.spawn('b');
    await flush();
    h.deliver(
      { leaseId: 'a', event: { type: 'start' } },
      { leaseId: 'b', event: { type: 'cancel', reason: 'not wanted' } },
    );
    expect(h.log).toEqual(['start:a']);
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.posted.map((p) => [p.leaseId, p.outcome.kind])).toEqual([
      ['b', 'nack'],
      ['a', 'ack'],
    ]);
    expect(h.posted[0]?.outcome).toMatchObject({ nack: 'cancelled', reason: 'not wanted' });
    const settled = h.leaseEvents().filter((e) => e.type === 'lease.settled');
    expect(settled.map((e) => [e.leaseId, e.settlement])).toEqual([
      ['b', 'delivered'],
      ['a', 'delivered'],
    ]);
  });

  it('drops deliveries for leases it does not hold (unknown or already settled) without error', async () => {
    const h = harness();
    h.spawn('a');
    await flush();
    h.start('a');
    h.handlers.get('a')?.(ack);
    await flush();
    const before = h.events.length;
    h.deliver(
      { leaseId: 'nope', event: { type: 'start' } },
      { leaseId: 'a', event: { type: 'cancel' } },
      { leaseId: 'a', event: { type: 'lost' } },
    );
    await flush();
    expect(h.events).toHaveLength(before);
    expect(h.posted).toHaveLength(1);
    expect(h.pool.getSnapshot().status).toBe('active');
    expect(h.parent.getSnapshot().status).toBe('active');
    // The pool still works afterwards.
    h.spawn('b');
    await flush();
    expect(h.leaseEvents().at(-1)).toEqual({ type: 'lease.queued', leaseId: 'b' });
  });

  it('forgets a lease once its actor reaches a final state', async () => {
    const h = harness();
    h.spawn('a');
    h.spawn('b');
    await flush();
    const a = h.leases().get('a');
    h.start('a');
    h.handlers.get('a')?.(ack);
    await flush();
    expect(a?.getSnapshot().status).toBe('done');
    expect([...h.leases().keys()]).toEqual(['b']);
    h.start('b');
    h.deliver({ leaseId: 'b', event: { type: 'lost' } });
    await flush();
    expect(h.leases().size).toBe(0);
    expect(h.leaseEvents().at(-1)).toMatchObject({ leaseId: 'b', settlement: 'lost' });
  });

  it('stops every lease actor, running handlers included, when its parent stops', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.spawn(id);
    await flush();
    h.start('a', 'b');
    const actors = [...h.leases().values()];
    expect(actors.map((a) => a.getSnapshot().value)).toEqual([
      { executing: 'running' },
      { executing: 'running' },
      'queued',
    ]);
    const before = h.events.length;
    h.parent.stop();
    await flush();
    expect(h.log.filter((l) => l.startsWith('cleanup:')).sort()).toEqual([
      'cleanup:a',
      'cleanup:b',
    ]);
    expect(actors.map((a) => a.getSnapshot().status)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(h.pool.getSnapshot().status).toBe('stopped');
    expect(h.leases().size).toBe(0);
    // Stopped leases post nothing and tell nobody.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.posted).toHaveLength(0);
    expect(h.events).toHaveLength(before);
  });

  it('keeps hostile leaseIds apart: each gets its own actor and settles normally', async () => {
    const ids = [
      '__proto__',
      'constructor',
      'toString',
      'connection',
      '#_x',
      'xstate.done.actor.y',
    ];
    const h = harness();
    for (const id of ids) h.spawn(id);
    await flush();
    expect([...h.leases().keys()]).toEqual(ids);
    for (const id of ids) {
      expect(h.leases().get(id)?.id).toBe(id);
      expect(h.leases().get(id)?.getSnapshot().value).toBe('queued');
    }
    expect(new Set(ids.map((id) => h.leases().get(id))).size).toBe(ids.length);
    h.start(...ids);
    for (const id of ids) h.handlers.get(id)?.({ kind: 'ack', output: id });
    await flush();
    expect(h.posted.map((p) => [p.leaseId, p.taskId, p.outcome])).toEqual(
      ids.map((id) => [id, `t-${id}`, { kind: 'ack', output: id }]),
    );
    const settled = h.leaseEvents().filter((e) => e.type === 'lease.settled');
    expect(settled.map((e) => [e.leaseId, e.settlement])).toEqual(
      ids.map((id) => [id, 'delivered']),
    );
    expect(h.leases().size).toBe(0);
    expect(h.pool.getSnapshot().status).toBe('active');
    expect(h.parent.getSnapshot().status).toBe('active');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).connection).toBeUndefined();
  });

  it('fails when a lease fails (runHandler throws synchronously): the parent gets xstate.error.actor.leases, and the other leases are stopped, their handlers cleaned up', async () => {
    const h = harness({ throwingHandlers: ['boom'] });
    h.spawn('ok');
    h.spawn('boom');
    await flush();
    const [ok, boom] = [h.leases().get('ok'), h.leases().get('boom')];
    h.start('ok', 'boom');
    await flush();
    expect(boom?.getSnapshot().status).toBe('error');
    expect(h.pool.getSnapshot().status).toBe('error');
    const failure = h.events.find((e) => e.type === 'xstate.error.actor.leases');
    expect((failure?.error as Error | undefined)?.message).toBe('handler boom blew up');
    // The parent's `*` transition handled the error event, so the parent itself is still active.
    expect(h.parent.getSnapshot().status).toBe('active');
    // No orphan: the healthy lease was stopped with the pool, its handler's cleanup ran, and
    // nothing is posted for it afterwards.
    expect(ok?.getSnapshot().status).toBe('stopped');
    expect(h.log).toContain('cleanup:ok');
    h.handlers.get('ok')?.(ack);
    await flush();
    expect(h.posted).toEqual([]);
  });
});
