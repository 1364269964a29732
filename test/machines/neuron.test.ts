import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, fromPromise } from 'xstate';
import { connectionMachine } from '../../machines/connection.js';
import { drainMachine } from '../../machines/drain.js';
import { leaseMachine, type Outcome, type PostOutcomeInput } from '../../machines/lease.js';
import { leasePool } from '../../machines/lease-pool.js';
import {
  type HeartbeatInput,
  type HeartbeatOutput,
  type NeuronEmitted,
  neuronMachine,
} from '../../machines/neuron.js';
import type { LeaseFrame } from '../../src/protocol/frames.js';

class StatusError extends Error {
  constructor(readonly status: number) {
    super(`status ${status}`);
  }
}

function harness(options: { heartbeatFails?: number; heldValidation?: string } = {}) {
  const posted: PostOutcomeInput[] = [];
  /** What heartbeat answers name `lost`; and the release of the held lease's validation. */
  const lost: string[] = [];
  let releaseValidation: () => void = () => {};
  const heartbeats: HeartbeatInput[] = [];
  const registers: number[] = [];
  const handlers = new Map<string, (outcome: Outcome) => void>();
  const emitted: NeuronEmitted[] = [];
  let heartbeatFailures = options.heartbeatFails ?? 0;
  const machine = neuronMachine.provide({
    actors: {
      connection: connectionMachine.provide({
        actors: {
          openStream: fromPromise<void>(async () => {}),
          register: fromPromise<void>(async () => {
            registers.push(Date.now());
          }),
        },
      }),
      leases: leasePool(
        leaseMachine.provide({
          actors: {
            validateInput: fromPromise(async ({ input }) => {
              if ((input.input as { id?: string }).id === options.heldValidation) {
                await new Promise<void>((resolve) => {
                  releaseValidation = resolve;
                });
              }
              return input.input;
            }),
            runHandler: fromCallback(({ input, sendBack }) => {
              handlers.set(input.leaseId, (outcome) =>
                sendBack({ type: 'handler.settled', outcome }),
              );
            }),
            postOutcome: fromPromise<void, PostOutcomeInput>(async ({ input }) => {
              posted.push(input);
            }),
          },
        }),
      ),
      drain: drainMachine.provide({
        actors: { closeTransport: fromPromise<void>(async () => {}) },
      }),
      heartbeat: fromPromise<HeartbeatOutput, HeartbeatInput>(async ({ input }) => {
        heartbeats.push(input);
        if (heartbeatFailures > 0) {
          heartbeatFailures--;
          throw new StatusError(404);
        }
        return {
          sentAt: Date.now(),
          leaseIds: input.inFlight.map((l) => l.leaseId),
          answer: { leases: [], lost: [...lost] },
        };
      }),
    },
  });
  const actor = createActor(machine, {
    input: {
      capabilities: { 'acme/echo': 2 },
      heartbeatIntervalMs: 1_000,
      cancelGraceMs: 500,
      defaultLeaseTtlMs: 30_000,
      abortGraceMs: 200,
      reconnect: {
        initialReconnectDelayMs: 100,
        maxReconnectDelayMs: 1_000,
        idleTimeoutMs: 60_000,
      },
    },
  });
  actor.on('*', (event) => emitted.push(event));
  const lease = (leaseId: string, capabilityType = 'acme/echo'): void => {
    const frame: LeaseFrame = {
      type: 'lease',
      leaseId,
      capabilityType,
      task: { taskId: `t-${leaseId}`, input: { id: leaseId } },
    };
    actor.send({ ...frame, receivedAt: Date.now() });
  };
  const register = (types = ['acme/echo']): void =>
    actor.send({
      type: 'registered',
      sessionId: 's-1',
      capabilities: types.map((type) => ({ type })),
    });
  /** Start the neuron and let the gateway's `registered` frame arrive. */
  const startRegistered = async (): Promise<void> => {
    actor.start();
    actor.send({ type: 'start' });
    await vi.advanceTimersByTimeAsync(0);
    register();
  };
  return {
    actor,
    lost,
    releaseValidation: () => releaseValidation(),
    posted,
    heartbeats,
    registers,
    handlers,
    emitted,
    lease,
    register,
    startRegistered,
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const ack: Outcome = { kind: 'ack', output: null };

describe('neuron machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at most `concurrency` handlers and starts queued leases in order as slots free', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c']) h.lease(id);
    await flush();
    expect([...h.handlers.keys()]).toEqual(['a', 'b']);
    expect(h.actor.getSnapshot().context.slots['acme/echo']).toMatchObject({
      running: 2,
      queue: ['c'],
    });
    h.handlers.get('a')?.(ack);
    await flush();
    expect([...h.handlers.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('shows its lease table as a plain object when serialized (the inspector, logs), hostile ids included', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', '__proto__', 'c']) h.lease(id);
    await flush();
    const shown = JSON.parse(JSON.stringify(h.actor.getSnapshot().context)) as {
      leases: Record<string, { phase: string }>;
    };
    expect(Object.keys(shown.leases)).toEqual(['a', '__proto__', 'c']);
    expect(Object.getPrototypeOf(shown.leases)).toBe(Object.prototype);
    expect(shown.leases.a?.phase).toBe('running');
    expect(shown.leases.c?.phase).toBe('queued');
  });

  it('never runs a lease a heartbeat answer named lost while its input was being validated', async () => {
    const h = harness({ heldValidation: 'v' });
    await h.startRegistered();
    h.lease('v');
    h.lost.push('v');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.heartbeats).toHaveLength(1);
    h.releaseValidation();
    await flush();
    expect(h.handlers.has('v')).toBe(false);
    expect(h.posted).toEqual([]);
    const settled = h.emitted.find((e) => e.type === 'lease:settled');
    expect(settled).toMatchObject({ leaseId: 'v', settlement: 'lost' });
    expect(h.actor.getSnapshot().context.slots['acme/echo']).toMatchObject({
      running: 0,
      queue: [],
    });
    // Its slot was never taken: the next lease runs at once.
    h.lease('w');
    await flush();
    expect(h.handlers.has('w')).toBe(true);
  });

  it('lists only started leases in heartbeats, never queued ones', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c']) h.lease(id);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.heartbeats[0]?.inFlight.map((l) => l.leaseId)).toEqual(['a', 'b']);
    expect(h.heartbeats[0]?.sessionId).toBe('s-1');
  });

  it('ignores a replayed lease it holds or has settled', async () => {
    const h = harness();
    await h.startRegistered();
    h.lease('a');
    await flush();
    h.lease('a');
    h.handlers.get('a')?.(ack);
    await flush();
    h.lease('a');
    await flush();
    expect(h.posted).toHaveLength(1);
    const received = h.emitted.filter((e) => e.type === 'lease:received');
    expect(received.map((e) => (e as { duplicate: boolean }).duplicate)).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('nacks UNKNOWN_CAPABILITY for a capability it does not serve, and after a revoke until re-registered', async () => {
    const h = harness();
    await h.startRegistered();
    h.lease('x', 'acme/other');
    h.actor.send({ type: 'capability-revoked', capabilityType: 'acme/echo' });
    h.lease('y');
    await flush();
    expect(h.posted.map((p) => (p.outcome as { code?: string }).code)).toEqual([
      'UNKNOWN_CAPABILITY',
      'UNKNOWN_CAPABILITY',
    ]);
    h.register(['acme/echo']);
    h.lease('z');
    await flush();
    expect(h.handlers.has('z')).toBe(true);
  });

  it('re-registers when a heartbeat answers 404 NO_SESSION', async () => {
    const h = harness({ heartbeatFails: 1 });
    await h.startRegistered();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.registers).toHaveLength(2);
  });

  it('drains: nacks queued leases SHUTDOWN at once, lets running ones finish, then stops', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c']) h.lease(id);
    await flush();
    h.actor.send({ type: 'stop', drain: true, timeoutMs: 10_000 });
    await flush();
    expect(h.posted.map((p) => [p.leaseId, (p.outcome as { code?: string }).code])).toEqual([
      ['c', 'SHUTDOWN'],
    ]);
    h.lease('d');
    await flush();
    expect(h.posted.at(-1)).toMatchObject({ leaseId: 'd', outcome: { code: 'SHUTDOWN' } });
    h.handlers.get('a')?.(ack);
    h.handlers.get('b')?.(ack);
    await flush();
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.posted.filter((p) => p.outcome.kind === 'ack').map((p) => p.leaseId)).toEqual([
      'a',
      'b',
    ]);
  });

  it('aborts what still runs at the drain timeout and nacks it SHUTDOWN', async () => {
    const h = harness();
    await h.startRegistered();
    h.lease('a');
    await flush();
    h.actor.send({ type: 'stop', drain: true, timeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.posted).toMatchObject([
      { leaseId: 'a', outcome: { nack: 'retryable', code: 'SHUTDOWN' } },
    ]);
    expect(h.actor.getSnapshot().status).toBe('done');
  });

  it('opens new slots when concurrency is raised', async () => {
    const h = harness();
    await h.startRegistered();
    for (const id of ['a', 'b', 'c', 'd']) h.lease(id);
    await flush();
    h.actor.send({ type: 'update-capability', capabilityType: 'acme/echo', concurrency: 4 });
    await flush();
    expect(h.handlers.size).toBe(4);
  });
});
