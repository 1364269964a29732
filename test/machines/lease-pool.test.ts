import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ActorRefFrom, type AnyEventObject, createActor, setup } from 'xstate';
import {
  leaseMachine,
  type Outcome,
  type PostOutcomeInput,
  type Settlement,
} from '../../machines/lease.js';
import {
  inFlightOf,
  type LeasePoolEmitted,
  type LeasePoolInput,
  type LeasePoolLogic,
  leasePool,
} from '../../machines/lease-pool.js';
import { GatewayStatusError } from '../../src/errors.js';
import { MAX_TIMER_MS } from '../../src/limits.js';
import type { CheckedHeartbeatAnswer } from '../../src/protocol/frames.js';
import { scriptedHandlers, scriptedPost } from './scripted-effects.js';

const ack: Outcome = { kind: 'ack', output: { ok: true } };
const ECHO = 'acme/echo';

interface Options {
  concurrency?: number;
  throwingHandlers?: string[];
  /** What each outcome POST does, in order (by default it succeeds). */
  posts?: Array<() => Promise<void>>;
}

/** A pool invoked as the neuron invokes it, with scripted lease effects; records what it does. */
function harness(options: Options = {}) {
  const parentEvents: AnyEventObject[] = [];
  const emitted: LeasePoolEmitted[] = [];
  const log: string[] = [];
  const posted: PostOutcomeInput[] = [];
  const handlers = new Map<string, (outcome: Outcome) => void>();
  const posts = [...(options.posts ?? [])];
  /** Handlers started whose outcome the test has not settled yet. */
  let unsettled = 0;
  let maxRunning = 0;
  const scripted = scriptedHandlers(log, options.throwingHandlers);
  const lease = leaseMachine.provide({
    actions: {
      ...scripted.actions,
      startHandler: (args) => {
        scripted.actions.startHandler(args);
        maxRunning = Math.max(maxRunning, ++unsettled);
        handlers.set(args.context.leaseId, (outcome) => {
          unsettled--;
          scripted.settlers.get(args.context.leaseId)?.(outcome);
        });
      },
      postOutcome: scriptedPost(posted, () => (posts.shift() ?? (() => Promise.resolve()))()),
    },
  });
  const input: LeasePoolInput = {
    capabilities: { [ECHO]: options.concurrency ?? 2 },
    cancelGraceMs: 500,
    defaultLeaseTtlMs: 30_000,
  };
  const pooled = leasePool(lease, { abandon: scripted.abandon });
  const parentMachine = setup({ actors: { leases: pooled } }).createMachine({
    invoke: { id: 'leases', systemId: 'leases', src: 'leases', input },
    on: { '*': { actions: ({ event }) => parentEvents.push(event) } },
  });
  const parent = createActor(parentMachine);
  parent.start();
  const pool = parent.system.get('leases') as ActorRefFrom<LeasePoolLogic>;
  pool.on('*', (event) => emitted.push(event));
  /** A `lease` frame, sent where the transport wiring sends it. */
  const send = (leaseId: string, more: { capabilityType?: string; expiresAt?: string } = {}) => {
    const task = { taskId: `t-${leaseId}`, input: { leaseId } };
    const frame = { type: 'lease' as const, leaseId, capabilityType: ECHO, task, ...more };
    pool.send({ ...frame, receivedAt: Date.now() });
  };
  /** `leaseId:settlement` of each `lease:settled`, in order. */
  const settled = () =>
    emitted.flatMap((e) => (e.type === 'lease:settled' ? [`${e.leaseId}:${e.settlement}`] : []));
  return {
    parent,
    pool,
    parentEvents,
    emitted,
    log,
    posted,
    handlers,
    send,
    settled,
    maxRunning: () => maxRunning,
    starts: () => log.filter((l) => l.startsWith('start:')).map((l) => l.slice(6)),
    signals: () => log.filter((l) => l.startsWith('signal:')).map((l) => l.slice(7)),
    counts: () => pool.getSnapshot().capabilities.get(ECHO)?.counts,
    held: (leaseId: string) => pool.getSnapshot().leases.get(leaseId),
    answer: (leaseIds: string[], answer: CheckedHeartbeatAnswer | undefined, sentAt = 0) =>
      pool.send({ type: 'heartbeat-answered', sentAt, leaseIds, answer }),
    /** `leaseId:code` of each outcome posted (`ack`, or the nack's kind when it has no code). */
    codes: () => posted.map(({ leaseId, outcome: o }) => `${leaseId}:${codeOf(o)}`),
    idles: () => parentEvents.filter((e) => e.type === 'leases.idle').length,
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const codeOf = (o: Outcome) => (o.kind === 'ack' ? 'ack' : (o.code ?? o.nack));
const received = (leaseId: string, duplicate = false): LeasePoolEmitted => ({
  type: 'lease:received',
  ...{ leaseId, taskId: `t-${leaseId}`, capabilityType: ECHO, attempt: undefined, duplicate },
});
const settledAs = (leaseId: string, settlement: Settlement): LeasePoolEmitted => ({
  type: 'lease:settled',
  ...{ leaseId, taskId: `t-${leaseId}`, capabilityType: ECHO, settlement, outcome: ack },
  durationMs: 0,
});

describe('lease pool', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at most `concurrency` handlers and starts the queued leases in FIFO order as slots free', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c', 'd']) h.send(id);
    expect(h.starts()).toEqual(['a', 'b']);
    expect(h.counts()).toEqual({ limit: 2, running: 2, queued: 2 });
    expect(h.emitted).toEqual([received('a'), received('b'), received('c'), received('d')]);
    h.handlers.get('b')?.(ack);
    expect(h.starts()).toEqual(['a', 'b', 'c']);
    h.handlers.get('a')?.(ack);
    expect(h.starts()).toEqual(['a', 'b', 'c', 'd']);
    await flush();
    expect(h.codes()).toEqual(['b:ack', 'a:ack']);
    expect(h.emitted.slice(4)).toEqual([settledAs('b', 'delivered'), settledAs('a', 'delivered')]);
    expect([...h.pool.getSnapshot().leases.keys()]).toEqual(['c', 'd']);
    expect(h.pool.getSnapshot().settled.has('a')).toBe(true);
    expect(h.counts()).toEqual({ limit: 2, running: 2, queued: 0 });
  });

  it('settles a flood of 5 000 queued at concurrency 4 in FIFO order, never more than 4 at once', async () => {
    const h = harness({ concurrency: 4 });
    const ids = Array.from({ length: 5_000 }, (_, i) => `l-${i}`);
    for (const id of ids) h.send(id);
    expect(h.counts()).toEqual({ limit: 4, running: 4, queued: 4_996 });
    for (const id of ids) h.handlers.get(id)?.(ack);
    await flush();
    expect(h.starts()).toEqual(ids);
    expect(h.maxRunning()).toBe(4);
    expect(h.settled()).toEqual(ids.map((id) => `${id}:delivered`));
    expect(h.posted).toHaveLength(5_000);
    expect(h.pool.getSnapshot().leases.size).toBe(0);
    expect(h.counts()).toEqual({ limit: 4, running: 0, queued: 0 });
  });

  it('nacks a queued lease cancelled at once; it never runs and its place goes to the next one', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c', 'd']) h.send(id);
    h.pool.send({ type: 'cancel', leaseId: 'c', reason: 'not wanted' });
    expect(h.counts()).toEqual({ limit: 2, running: 2, queued: 1 });
    await flush();
    expect(h.codes()).toEqual(['c:cancelled']);
    expect(h.posted[0]?.outcome).toMatchObject({ reason: 'not wanted' });
    expect(h.settled()).toEqual(['c:delivered']);
    h.handlers.get('a')?.(ack);
    expect(h.starts()).toEqual(['a', 'b', 'd']);
    // A running lease is cancelled through its signal.
    h.pool.send({ type: 'cancel', leaseId: 'd' });
    expect(h.signals()).toEqual(['d:cancelled']);
  });

  it('recognises a replayed lease, held or settled, and drops news of leases it does not hold', async () => {
    const h = harness();
    h.send('a');
    h.send('a');
    expect(h.pool.getSnapshot().leases.size).toBe(1);
    h.handlers.get('a')?.(ack);
    await flush();
    const before = h.emitted.length;
    for (const leaseId of ['a', 'nope']) h.pool.send({ type: 'cancel', leaseId });
    h.answer(['a', 'nope'], { lost: ['a', 'nope'] });
    h.pool.send({ type: 'capability-revoked', capabilityType: 'acme/nope' });
    h.pool.send({ type: 'update-capability', capabilityType: 'acme/nope', concurrency: 3 });
    await flush();
    expect(h.emitted).toHaveLength(before);
    expect(h.pool.getSnapshot().status).toBe('active');
    h.send('a');
    await flush();
    expect(h.starts()).toEqual(['a']);
    expect(h.posted).toHaveLength(1);
    expect(h.pool.getSnapshot().leases.size).toBe(0);
    expect(h.emitted.slice(0, 2)).toEqual([received('a'), received('a', true)]);
    expect(h.emitted.at(-1)).toEqual(received('a', true));
  });

  it('nacks UNKNOWN_CAPABILITY for a capability it does not serve, and after a revoke until served', async () => {
    const h = harness({ concurrency: 1 });
    h.send('x', { capabilityType: 'acme/other' });
    h.send('a');
    h.send('b');
    h.pool.send({ type: 'capability-revoked', capabilityType: ECHO });
    expect(h.signals()).toEqual(['a:revoked']);
    h.send('y');
    await flush();
    expect(h.codes()).toEqual([
      'x:UNKNOWN_CAPABILITY',
      'a:CAPABILITY_REVOKED',
      'b:CAPABILITY_REVOKED',
      'y:UNKNOWN_CAPABILITY',
    ]);
    expect(h.pool.getSnapshot().capabilities.get(ECHO)?.served).toBe(false);
    h.pool.send({ type: 'serve', capabilityTypes: [ECHO] });
    h.send('z');
    expect(h.starts()).toEqual(['a', 'z']);
    h.pool.send({ type: 'unserve', capabilityTypes: [ECHO] });
    h.send('w');
    await flush();
    expect(h.codes().at(-1)).toBe('w:UNKNOWN_CAPABILITY');
  });

  it('never runs a queued lease a heartbeat answer names lost, posts nothing for it; a running one is aborted', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c', 'd']) h.send(id);
    h.answer(['a', 'b'], { leases: [], lost: ['c', 'b'] });
    await flush();
    expect(h.signals()).toEqual(['b:lost']);
    expect(h.settled()).toEqual(['c:lost', 'b:lost']);
    expect(h.posted).toEqual([]);
    expect(h.starts()).toEqual(['a', 'b', 'd']);
    expect(h.counts()).toEqual({ limit: 2, running: 2, queued: 0 });
  });

  it('lists only started leases in flight, and moves their expiresAt on renewals (bounded), or by their TTL when the answer lists none', () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.send(id);
    const startedAt = new Date(Date.now()).toISOString();
    expect(inFlightOf(h.pool)).toEqual([
      { leaseId: 'a', taskId: 't-a', startedAt },
      { leaseId: 'b', taskId: 't-b', startedAt },
    ]);
    expect(inFlightOf(undefined)).toEqual([]);
    const expiresAt = (id: string) => h.held(id)?.actor.getSnapshot().context.expiresAt;
    const now = Date.now();
    h.answer(['a', 'b'], { leases: [{ leaseId: 'a', expiresAt: now + 90_000 }] });
    expect(['a', 'b'].map(expiresAt)).toEqual([now + 90_000, now + 30_000]);
    h.answer(['a'], { leases: [{ leaseId: 'a', expiresAt: now + 2 * MAX_TIMER_MS }] });
    expect(expiresAt('a')).toBe(now + MAX_TIMER_MS);
    h.answer(['a', 'b'], undefined, now + 5_000);
    expect(['a', 'b', 'c'].map(expiresAt)).toEqual([now + 35_000, now + 35_000, now + 30_000]);
  });

  it('delivers a large heartbeat answer 500 leases per turn, in order, and a later answer after it', async () => {
    const h = harness({ concurrency: 1_200 });
    const ids = Array.from({ length: 1_200 }, (_, i) => `l-${i}`);
    for (const id of ids) h.send(id);
    const expiresAt = (id: string) => h.held(id)?.actor.getSnapshot().context.expiresAt;
    const now = Date.now();
    const renewed = () => ids.filter((id) => expiresAt(id) === now + 60_000).length;
    h.answer(ids, { leases: ids.map((leaseId) => ({ leaseId, expiresAt: now + 60_000 })) });
    expect(renewed()).toBe(500);
    // Each answer, or turn, delivers the next 500 of what is waiting.
    h.answer(['l-0', 'l-1199'], { leases: [], lost: ['l-1199'] });
    expect(renewed()).toBe(1_000);
    expect(h.signals()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // The second answer's events wait behind the first's.
    expect(renewed()).toBe(1_199);
    expect(h.signals()).toEqual(['l-1199:lost']);
    expect(h.settled()).toEqual(['l-1199:lost']);
  });

  it('settles a queued lease whose expiresAt passes without running it, and frees its place', async () => {
    const h = harness({ concurrency: 1 });
    h.send('a');
    h.send('b', { expiresAt: new Date(Date.now() + 1_000).toISOString() });
    h.send('c');
    h.send('old', { expiresAt: new Date(Date.now() - 1).toISOString() });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.settled()).toEqual(['old:expired', 'b:expired']);
    expect(h.counts()).toEqual({ limit: 1, running: 1, queued: 1 });
    h.handlers.get('a')?.(ack);
    expect(h.starts()).toEqual(['a', 'c']);
    await flush();
    expect(h.codes()).toEqual(['a:ack']);
  });

  it('emits error for an outcome the gateway refuses for good', async () => {
    const refused = new GatewayStatusError({ status: 400, path: 'ack' });
    const h = harness({ posts: [() => Promise.reject(refused)] });
    h.send('a');
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.emitted).toContainEqual({ type: 'error', error: refused });
    expect(h.settled()).toEqual(['a:rejected']);
  });

  it('drains: refuse-leases nacks the queued SHUTDOWN at once, refuses new ones, reports leases.idle after the last settles', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.send(id);
    h.pool.send({ type: 'refuse-leases' });
    h.send('d');
    await flush();
    expect(h.codes()).toEqual(['c:SHUTDOWN', 'd:SHUTDOWN']);
    expect(h.pool.getSnapshot().refusing).toBe(true);
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.idles()).toBe(0);
    h.handlers.get('b')?.(ack);
    await flush();
    expect(h.idles()).toBe(1);
    expect(h.starts()).toEqual(['a', 'b']);
    // Holding none, it reports idle at once.
    const idle = harness();
    idle.pool.send({ type: 'refuse-leases' });
    expect(idle.idles()).toBe(1);
  });

  it('abort-all aborts every lease held, running or queued, and nacks each SHUTDOWN', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.send(id);
    h.pool.send({ type: 'abort-all' });
    await flush();
    expect(h.signals()).toEqual(['a:shutdown', 'b:shutdown']);
    expect(h.codes().sort()).toEqual(['a:SHUTDOWN', 'b:SHUTDOWN', 'c:SHUTDOWN']);
    expect(h.starts()).toEqual(['a', 'b']);
    expect(h.pool.getSnapshot().leases.size).toBe(0);
  });

  it('starts queued leases when update-capability raises the limit, and none when it lowers it', () => {
    const h = harness();
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.send(id);
    h.pool.send({ type: 'update-capability', capabilityType: ECHO, concurrency: 4 });
    expect(h.starts()).toEqual(['a', 'b', 'c', 'd']);
    h.pool.send({ type: 'update-capability', capabilityType: ECHO, concurrency: 2 });
    h.handlers.get('a')?.(ack);
    expect(h.starts()).toEqual(['a', 'b', 'c', 'd']);
    expect(h.counts()).toEqual({ limit: 2, running: 3, queued: 1 });
  });

  it('keeps hostile leaseIds apart: each gets its own actor and settles normally', async () => {
    const ids = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'xstate.done.actor.y'];
    const h = harness({ concurrency: 10 });
    for (const id of ids) h.send(id);
    expect([...h.pool.getSnapshot().leases.keys()]).toEqual(ids);
    expect(new Set(ids.map((id) => h.held(id)?.actor)).size).toBe(ids.length);
    expect(ids.map((id) => h.held(id)?.actor.id)).toEqual(ids);
    for (const id of ids) h.handlers.get(id)?.({ kind: 'ack', output: id });
    await flush();
    expect(h.posted.map((p) => [p.leaseId, p.taskId, p.outcome])).toEqual(
      ids.map((id) => [id, `t-${id}`, { kind: 'ack', output: id }]),
    );
    expect(h.settled()).toEqual(ids.map((id) => `${id}:delivered`));
    h.send('__proto__');
    expect(h.emitted.at(-1)).toEqual(received('__proto__', true));
    expect(h.pool.getSnapshot().leases.size).toBe(0);
    expect(h.pool.getSnapshot().status).toBe('active');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('fails when a lease actor fails (its handler throws synchronously), stopping the other leases', async () => {
    const h = harness({ throwingHandlers: ['boom'] });
    h.send('ok');
    const ok = h.held('ok')?.actor;
    h.send('boom');
    await flush();
    expect(h.pool.getSnapshot().status).toBe('error');
    const failure = h.parentEvents.find((e) => e.type === 'xstate.error.actor.leases');
    expect((failure?.error as Error | undefined)?.message).toBe('handler boom blew up');
    expect(ok?.getSnapshot().status).toBe('stopped');
    expect(h.log).toContain('cleanup:ok');
    h.handlers.get('ok')?.(ack);
    await flush();
    expect(h.posted).toEqual([]);
  });

  it('stops every lease actor, running handlers included, when its parent stops', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.send(id);
    const actors = [...h.pool.getSnapshot().leases.values()].map((held) => held.actor);
    const before = h.emitted.length;
    h.parent.stop();
    await flush();
    expect(h.log.filter((l) => l.startsWith('cleanup:'))).toEqual(['cleanup:a', 'cleanup:b']);
    expect(actors.map((a) => a.getSnapshot().status)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(h.pool.getSnapshot().status).toBe('stopped');
    expect(h.pool.getSnapshot().leases.size).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.posted).toHaveLength(0);
    expect(h.emitted).toHaveLength(before);
  });
});
