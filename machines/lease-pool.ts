/**
 * The neuron's lease actors, kept in a `Map` by leaseId. The neuron machine spawns, addresses and
 * forgets its leases through this one child instead of holding them as its own children: xstate
 * copies a machine's `children` record on every spawn and stop, which costs O(leases in flight)
 * per lease — quadratic with thousands in flight — and turns every leaseId into an object key (a
 * new hidden class per lease, a new `xstate.done.actor.<id>` event type that xstate memoizes for
 * good). Here each of those is O(1) and nothing is keyed by leaseId but the `Map`.
 *
 * The lease actors are the pool's children: what they send their parent (`lease.*`
 * notifications) is passed on to the neuron as it is; their `done` events end here. A lease that
 * fails (an SDK bug: handlers' failures are outcomes) fails the pool, and so the neuron, as an
 * unhandled child error does in xstate.
 */
import {
  type ActorLogic,
  type ActorRefFrom,
  type AnyActorRef,
  createActor,
  type EventObject,
  type Snapshot,
} from 'xstate';
import type { LeaseEvent, LeaseInput, LeaseMachine } from './lease.js';

/** One event for one lease. */
export interface LeaseDelivery {
  leaseId: string;
  event: LeaseEvent;
}

export type LeasePoolEvent =
  /** Create and start the lease's actor (its id is the leaseId). */
  | { type: 'spawn-lease'; input: LeaseInput }
  /** Events for leases; one for a lease the pool no longer holds is dropped. */
  | { type: 'deliver'; deliveries: LeaseDelivery[] };

export type LeasePoolSnapshot = Snapshot<undefined> & {
  /** Live lease actors by leaseId; a lease leaves when its actor reaches a final state. */
  leases: ReadonlyMap<string, ActorRefFrom<LeaseMachine>>;
};

export type LeasePoolLogic = ActorLogic<LeasePoolSnapshot, LeasePoolEvent>;

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

function stopAll(leases: Map<string, AnyActorRef>, scope: { stopChild(a: AnyActorRef): void }) {
  for (const actor of leases.values()) scope.stopChild(actor);
  leases.clear();
}

/**
 * The pool's logic over `lease` (the lease machine with its effects provided). Its snapshot is
 * updated in place: it holds live actor references, which are never persisted or compared.
 */
export function leasePool(lease: LeaseMachine): LeasePoolLogic {
  return {
    getInitialSnapshot: () => ({
      status: 'active',
      output: undefined,
      error: undefined,
      leases: new Map(),
    }),
    transition: (snapshot, received, scope) => {
      const leases = snapshot.leases as Map<string, ActorRefFrom<LeaseMachine>>;
      const event = received as EventObject;
      switch (event.type) {
        case 'spawn-lease': {
          const { input } = event as Extract<LeasePoolEvent, { type: 'spawn-lease' }>;
          const actor = createActor(lease, { id: input.frame.leaseId, parent: scope.self, input });
          leases.set(input.frame.leaseId, actor);
          scope.defer(() => actor.start());
          return snapshot;
        }
        case 'deliver': {
          const { deliveries } = event as Extract<LeasePoolEvent, { type: 'deliver' }>;
          scope.defer(() => {
            for (const { leaseId, event: e } of deliveries) leases.get(leaseId)?.send(e);
          });
          return snapshot;
        }
        case 'xstate.stop':
          stopAll(leases, scope);
          return { status: 'stopped', output: undefined, error: undefined, leases };
      }
      if (event.type.startsWith(DONE)) {
        leases.delete(event.type.slice(DONE.length));
      } else if (event.type.startsWith(ERROR)) {
        // xstate ends a failed actor without sending it `xstate.stop`: the other leases are
        // stopped here (their handlers aborted), or they would run on, orphaned.
        stopAll(leases, scope);
        throw (event as { error?: unknown }).error;
      } else if (event.type.startsWith('lease.')) {
        const parent: AnyActorRef | undefined = scope.self._parent;
        scope.defer(() => parent?.send(event));
      }
      return snapshot;
    },
    getPersistedSnapshot: ({ status, output, error }) =>
      ({ status, output, error }) as Snapshot<undefined>,
  };
}
