import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ActorRefFrom, createActor, fromPromise } from 'xstate';
import { connectionMachine } from '../../machines/connection.js';
import { drainMachine } from '../../machines/drain.js';
import { leaseMachine, type Outcome, type PostOutcomeInput } from '../../machines/lease.js';
import { type LeasePoolLogic, leasePool } from '../../machines/lease-pool.js';
import {
  type HeartbeatInput,
  type HeartbeatOutput,
  LEASE_POOL,
  type NeuronEmitted,
  neuronMachine,
} from '../../machines/neuron.js';
import { GatewayStatusError, RegistrationRejectedError } from '../../src/errors.js';
import type { CheckedHeartbeatAnswer } from '../../src/protocol/frames.js';
import { scriptedHandlers, scriptedPost } from './scripted-effects.js';

const ECHO = 'acme/echo';

interface Script {
  /** What each heartbeat does, in order; by default it answers with `answer`. */
  heartbeats?: Array<() => Promise<void>>;
  /** What each `register` POST does, in order; by default it succeeds. */
  registers?: Array<() => Promise<void>>;
  throwingHandlers?: string[];
}

/** The neuron machine with scripted effects; records what it does and what it and its pool emit. */
function harness(script: Script = {}) {
  const log: string[] = [];
  const posted: PostOutcomeInput[] = [];
  const heartbeats: HeartbeatInput[] = [];
  const registers: number[] = [];
  const scripted = scriptedHandlers(log, script.throwingHandlers);
  /** Settles a running handler, by leaseId. */
  const handlers = scripted.settlers;
  const emitted: NeuronEmitted[] = [];
  const poolEmitted: NeuronEmitted[] = [];
  const heartbeatScript = [...(script.heartbeats ?? [])];
  const registerScript = [...(script.registers ?? [])];
  /** What the next heartbeat answers carry. */
  let answer: CheckedHeartbeatAnswer | undefined = { leases: [], lost: [] };
  const machine = neuronMachine.provide({
    actors: {
      connection: connectionMachine.provide({
        actors: {
          openStream: fromPromise<void>(async () => {}),
          register: fromPromise<void>(() => {
            registers.push(Date.now());
            return (registerScript.shift() ?? (() => Promise.resolve()))();
          }),
        },
        actions: { closeStream: () => log.push('closeStream') },
      }),
      leases: leasePool(
        leaseMachine.provide({
          actions: {
            ...scripted.actions,
            postOutcome: scriptedPost(posted),
          },
        }),
        { abandon: scripted.abandon },
      ),
      drain: drainMachine.provide({
        actors: {
          closeTransport: fromPromise<void>(async () => {
            log.push('closeTransport');
          }),
        },
      }),
      heartbeat: fromPromise<HeartbeatOutput, HeartbeatInput>(async ({ input }) => {
        heartbeats.push(input);
        await (heartbeatScript.shift() ?? (() => Promise.resolve()))();
        return { sentAt: Date.now(), leaseIds: input.inFlight.map((l) => l.leaseId), answer };
      }),
    },
  });
  const actor = createActor(machine, {
    input: {
      capabilities: { [ECHO]: 2 },
      heartbeatIntervalMs: 1_000,
      cancelGraceMs: 500,
      defaultLeaseTtlMs: 30_000,
      abortGraceMs: 200,
      reconnect: {
        initialReconnectDelayMs: 100,
        maxReconnectDelayMs: 1_000,
        idleTimeoutMs: 600_000,
      },
    },
  });
  actor.on('*', (event) => emitted.push(event));
  const pool = () => actor.system.get(LEASE_POOL) as ActorRefFrom<LeasePoolLogic> | undefined;
  /** A frame for the pool, sent where the transport wiring sends it. */
  const lease = (leaseId: string, capabilityType = ECHO): void =>
    pool()?.send({
      type: 'lease',
      leaseId,
      capabilityType,
      task: { taskId: `t-${leaseId}`, input: { id: leaseId } },
      receivedAt: Date.now(),
    });
  const register = (types = [ECHO], heartbeatIntervalMs?: number): void =>
    actor.send({
      type: 'registered',
      sessionId: 's-1',
      capabilities: types.map((type) => ({ type })),
      ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    });
  /** Start the neuron: the stream opens and `register` is posted. */
  const boot = async (): Promise<void> => {
    actor.start();
    actor.send({ type: 'start' });
    pool()?.on('*', (event) => poolEmitted.push(event));
    await vi.advanceTimersByTimeAsync(0);
  };
  return {
    actor,
    log,
    posted,
    heartbeats,
    registers,
    handlers,
    emitted,
    poolEmitted,
    pool,
    lease,
    register,
    setAnswer: (next: CheckedHeartbeatAnswer | undefined) => {
      answer = next;
    },
    starts: () => log.filter((l) => l.startsWith('start:')).map((l) => l.slice(6)),
    /** `leaseId:code` of each outcome posted (`ack` for an ack), in order. */
    codes: () =>
      posted.map(({ leaseId, outcome: o }) => `${leaseId}:${o.kind === 'ack' ? 'ack' : o.code}`),
    boot,
    /** Start the neuron and let the gateway's `registered` frame arrive. */
    startRegistered: async (heartbeatIntervalMs?: number): Promise<void> => {
      await boot();
      register([ECHO], heartbeatIntervalMs);
    },
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const ack: Outcome = { kind: 'ack', output: null };
const heartbeatError = (status: number) => () =>
  Promise.reject(new GatewayStatusError({ status, path: 'heartbeat' }));

describe('neuron machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('invokes the pool under LEASE_POOL with its settings, and serves what the registered frame lists', async () => {
    const h = harness();
    await h.startRegistered();
    const snapshot = h.pool()?.getSnapshot();
    expect(snapshot?.capabilities.get(ECHO)?.counts).toEqual({ limit: 2, running: 0, queued: 0 });
    expect(h.emitted.map((e) => e.type)).toEqual(['connection:open', 'connection:registered']);
    expect(h.emitted[1]).toMatchObject({ registration: { sessionId: 's-1' } });
    h.register([]);
    h.lease('a');
    await flush();
    expect(h.codes()).toEqual(['a:UNKNOWN_CAPABILITY']);
    h.register([ECHO]);
    h.lease('b');
    expect(h.starts()).toEqual(['b']);
  });

  it('beats at the registered interval, clamped to the gateway limits', async () => {
    const h = harness();
    await h.startRegistered(10);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.heartbeats).toHaveLength(1);
    h.register([ECHO], 10_000_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.heartbeats).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(299_999);
    expect(h.heartbeats).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.heartbeats).toHaveLength(3);
  });

  it('lists only started leases in heartbeats, never queued ones, and hands the answer to the pool', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c']) h.lease(id);
    const expiresAt = Date.now() + 90_000;
    h.setAnswer({ leases: [{ leaseId: 'a', expiresAt }], lost: ['c'] });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.heartbeats.map((b) => [b.sessionId, b.inFlight.map((l) => l.leaseId)])).toEqual([
      ['s-1', ['a', 'b']],
    ]);
    const held = h.pool()?.getSnapshot().leases;
    expect(held?.get('a')?.actor.getSnapshot().context.expiresAt).toBe(expiresAt);
    // The gateway reclaimed the queued `c`: it never runs and posts nothing.
    expect(held?.has('c')).toBe(false);
    expect(h.poolEmitted.filter((e) => e.type === 'lease:settled')).toMatchObject([
      { leaseId: 'c', settlement: 'lost' },
    ]);
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.starts()).toEqual(['a', 'b']);
    expect(h.posted.map((p) => p.leaseId)).toEqual(['a']);
  });

  it('re-registers when a heartbeat answers 404 NO_SESSION, and beats again once registered', async () => {
    const h = harness({ heartbeats: [heartbeatError(404)] });
    await h.startRegistered();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.registers).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.heartbeats).toHaveLength(1);
    h.register();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.heartbeats).toHaveLength(2);
  });

  it('reports a heartbeat refused 400 as an error and keeps beating; other failures quietly', async () => {
    const h = harness({ heartbeats: [heartbeatError(400), heartbeatError(503)] });
    await h.startRegistered();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(h.heartbeats).toHaveLength(3);
    const errors = h.emitted.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(GatewayStatusError);
    expect(h.registers).toHaveLength(1);
  });

  it('refuses leases for capabilities the gateway refused to register until a registered frame lists them', async () => {
    const refused = new RegistrationRejectedError('FORBIDDEN', 'no', [ECHO], 403);
    const h = harness({ registers: [() => Promise.reject(refused)] });
    await h.boot();
    expect(h.emitted.filter((e) => e.type === 'error')).toEqual([
      { type: 'error', error: refused },
    ]);
    h.lease('a');
    await flush();
    expect(h.codes()).toEqual(['a:UNKNOWN_CAPABILITY']);
    h.register();
    h.lease('b');
    expect(h.starts()).toEqual(['b']);
  });

  it('emits only connection events and errors itself: the leases’ story comes from the pool', async () => {
    const h = harness();
    await h.startRegistered();
    h.lease('a');
    h.lease('a');
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.emitted.map((e) => e.type)).toEqual(['connection:open', 'connection:registered']);
    expect(h.poolEmitted.map((e) => e.type)).toEqual([
      'lease:received',
      'lease:received',
      'lease:settled',
    ]);
  });

  it('drains: nacks queued leases SHUTDOWN at once, lets running ones finish, then closes and stops', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c']) h.lease(id);
    const pool = h.pool();
    h.actor.send({ type: 'stop', drain: true, timeoutMs: 10_000 });
    await flush();
    expect(h.codes()).toEqual(['c:SHUTDOWN']);
    h.lease('d');
    await flush();
    expect(h.codes().at(-1)).toBe('d:SHUTDOWN');
    h.handlers.get('a')?.(ack);
    await flush();
    expect(h.actor.getSnapshot().status).toBe('active');
    expect(h.log).not.toContain('closeTransport');
    h.handlers.get('b')?.(ack);
    await flush();
    expect(h.log).toContain('closeTransport');
    expect(h.log).toContain('closeStream');
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.codes()).toEqual(['c:SHUTDOWN', 'd:SHUTDOWN', 'a:ack', 'b:ack']);
    expect(pool?.getSnapshot().status).toBe('stopped');
    expect(h.pool()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.heartbeats).toHaveLength(0);
  });

  it('aborts what still runs at the drain timeout and nacks it SHUTDOWN', async () => {
    const h = harness();
    await h.startRegistered();
    h.lease('a');
    h.actor.send({ type: 'stop', drain: true, timeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(h.posted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.log).toContain('signal:a:shutdown');
    expect(h.codes()).toEqual(['a:SHUTDOWN']);
    expect(h.actor.getSnapshot().status).toBe('done');
  });

  it('aborts at once on a stop without drain', async () => {
    const h = harness();
    await h.startRegistered();
    h.lease('a');
    h.lease('b');
    h.lease('c');
    h.actor.send({ type: 'stop', drain: false, timeoutMs: 10_000 });
    await flush();
    expect(h.codes()).toEqual(['c:SHUTDOWN', 'a:SHUTDOWN', 'b:SHUTDOWN']);
    expect(h.actor.getSnapshot().status).toBe('done');
  });

  it('opens new slots when concurrency is raised', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c', 'd']) h.lease(id);
    h.actor.send({ type: 'update-capability', capabilityType: ECHO, concurrency: 4 });
    expect(h.starts()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('fails when a lease actor fails, with the pool, stopping the other leases', async () => {
    const h = harness({ throwingHandlers: ['boom'] });
    const failures: unknown[] = [];
    h.actor.subscribe({ error: (error) => failures.push(error) });
    await h.startRegistered();
    h.lease('ok');
    h.lease('boom');
    await flush();
    expect(h.actor.getSnapshot().status).toBe('error');
    expect(failures.map((e) => (e as Error).message)).toEqual(['handler boom blew up']);
    expect(h.log).toContain('cleanup:ok');
    h.handlers.get('ok')?.(ack);
    await flush();
    expect(h.posted).toEqual([]);
  });
});
