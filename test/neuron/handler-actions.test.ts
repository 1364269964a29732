/**
 * The lease machine's handler actions as the neuron provides them, on real lease actors in a real
 * pool: the handler's signal fires when its lease leaves `executing`, and when the pool stops a
 * lease from outside (`abandon`), where xstate runs no exit action.
 */
import { describe, expect, it } from 'vitest';
import type { ActorRefFrom } from 'xstate';
import { createActor, setup } from 'xstate';
import { leaseMachine, type PostOutcomeInput } from '../../machines/lease.js';
import { type LeasePoolLogic, leasePool } from '../../machines/lease-pool.js';
import { resolveRegistration } from '../../src/capability/registration.js';
import { silentLogger } from '../../src/logger.js';
import { createHandlerActions } from '../../src/neuron/run-handler.js';
import { NeuronTelemetry } from '../../src/telemetry/telemetry.js';
import { scriptedPost } from '../machines/scripted-effects.js';

const ECHO = 'acme/echo';

/** A pool whose handlers wait for their signal and record why it fired. */
function harness() {
  const reasons: unknown[] = [];
  const actions = createHandlerActions({
    logger: silentLogger,
    telemetry: new NeuronTelemetry('n-1'),
    handlers: new Map([
      [
        ECHO,
        {
          capability: resolveRegistration({ type: ECHO, scope: 'any', concurrency: 2 }),
          handler: (_input: never, ctx: { signal: AbortSignal }) =>
            new Promise((_resolve, reject) => {
              ctx.signal.addEventListener('abort', () => {
                reasons.push((ctx.signal.reason as { reason?: unknown }).reason);
                reject(ctx.signal.reason);
              });
            }),
        },
      ],
    ]),
    deadlineOf: () => Date.now() + 30_000,
    postProgress: async () => {},
  });
  const { abandon, ...leaseActions } = actions;
  const posted: PostOutcomeInput[] = [];
  const lease = leaseMachine.provide({
    actions: { ...leaseActions, postOutcome: scriptedPost(posted) },
  });
  const parent = createActor(
    setup({ actors: { leases: leasePool(lease, { abandon }) } }).createMachine({
      invoke: {
        id: 'leases',
        systemId: 'leases',
        src: 'leases',
        input: { capabilities: { [ECHO]: 2 }, cancelGraceMs: 1_000, defaultLeaseTtlMs: 30_000 },
      },
    }),
  ).start();
  const pool = parent.system.get('leases') as ActorRefFrom<LeasePoolLogic>;
  const send = (leaseId: string): void =>
    pool.send({
      type: 'lease',
      leaseId,
      capabilityType: ECHO,
      task: { taskId: `t-${leaseId}`, input: null },
      receivedAt: Date.now(),
    });
  return { parent, pool, send, reasons, posted };
}

/** The handler runs a microtask after its lease starts. */
const handlerRuns = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the neuron's handler actions", () => {
  it('fire the signal with the reason the lease recorded (a cancel)', async () => {
    const h = harness();
    h.send('a');
    await handlerRuns();
    h.pool.send({ type: 'cancel', leaseId: 'a' });
    expect(h.reasons).toEqual(['cancelled']);
    h.parent.stop();
  });

  it('abandon a running handler, its signal fired with shutdown, when the pool stops its lease', async () => {
    const h = harness();
    h.send('a');
    h.send('b');
    await handlerRuns();
    expect(h.pool.getSnapshot().leases.size).toBe(2);
    h.parent.stop();
    expect(h.reasons).toEqual(['shutdown', 'shutdown']);
    await handlerRuns();
    expect(h.posted).toEqual([]);
  });
});
