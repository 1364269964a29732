import type { Actor, ActorRefFrom, AnyActorRef, SnapshotFrom } from 'xstate';
import type { LeaseMachine } from '../../machines/lease.js';
import type { LeasePoolSnapshot } from '../../machines/lease-pool.js';
import type { NeuronMachine } from '../../machines/neuron.js';
import type { CapabilityLoad } from '../telemetry/telemetry.js';
import type { HandlerEntry } from './run-handler.js';

/** The neuron's lifecycle, as one string (Temporal's `getState()` style). */
export type NeuronState = 'idle' | 'serving' | 'draining' | 'stopped';

export interface CapabilitySnapshot {
  type: string;
  concurrency: number;
  running: number;
  queued: number;
  /** False while the gateway does not list it as effective, or after `capability-revoked`. */
  served: boolean;
}

export interface LeaseSnapshot {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  /** The lease actor's state, e.g. `queued`, `executing.running`, `acking.retrying`. */
  state: string;
  expiresAt: string;
}

export interface NeuronSnapshot {
  state: NeuronState;
  connection: { state: string; sessionId: string | undefined; attempt: number };
  capabilities: CapabilitySnapshot[];
  leases: LeaseSnapshot[];
}

/** A state value as a dotted path: `{ open: { session: 'registered' } }` → `open.session.registered`. */
export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, child]) => `${key}.${stateString(child)}`)
    .join(',');
}

const NO_LEASES: ReadonlyMap<string, ActorRefFrom<LeaseMachine>> = new Map();

/** The lease actors the neuron holds, by leaseId (none before `start()` and once stopped). */
export function leaseActors(
  snapshot: SnapshotFrom<NeuronMachine>,
): ReadonlyMap<string, ActorRefFrom<LeaseMachine>> {
  const children = snapshot.children as Record<string, AnyActorRef | undefined>;
  const pool = children.leases?.getSnapshot() as LeasePoolSnapshot | undefined;
  return pool?.leases ?? NO_LEASES;
}

/** The neuron's lifecycle state, without building the rest of the snapshot. */
export function neuronState(actor: Actor<NeuronMachine> | undefined): NeuronState {
  if (!actor) return 'idle';
  const snap = actor.getSnapshot();
  if (snap.status !== 'active' || snap.matches('stopped')) return 'stopped';
  if (snap.matches({ active: { lifecycle: 'draining' } })) return 'draining';
  if (snap.matches('active')) return 'serving';
  return 'idle';
}

/** Running and queued leases per capability, for the telemetry's gauges: no snapshot built. */
export function capabilityLoad(actor: Actor<NeuronMachine>): CapabilityLoad[] {
  const snap = actor.getSnapshot();
  if (snap.status !== 'active') return [];
  return Object.entries(snap.context.slots).map(([capabilityType, slots]) => ({
    capabilityType,
    running: slots.running,
    queued: slots.queue.length,
  }));
}

/**
 * The TTL of each lease in flight (its handler started, its outcome not yet delivered: the leases
 * heartbeats renew), for the watchdog.
 */
export function inFlightLeaseTtls(actor: Actor<NeuronMachine>): number[] {
  const snap = actor.getSnapshot();
  if (snap.status !== 'active') return [];
  const actors = leaseActors(snap);
  const ttls: number[] = [];
  for (const [leaseId, entry] of snap.context.leases) {
    if (entry.startedAt === undefined) continue;
    const ttl = actors.get(leaseId)?.getSnapshot().context.ttlMs;
    if (ttl !== undefined) ttls.push(ttl);
  }
  return ttls;
}

export function takeSnapshot(
  actor: Actor<NeuronMachine> | undefined,
  handlers: ReadonlyMap<string, HandlerEntry>,
  concurrency: ReadonlyMap<string, number>,
): NeuronSnapshot {
  if (!actor) {
    return {
      state: 'idle',
      connection: { state: 'idle', sessionId: undefined, attempt: 0 },
      capabilities: [...handlers.keys()].map((type) => ({
        type,
        concurrency: concurrency.get(type) ?? 1,
        running: 0,
        queued: 0,
        served: false,
      })),
      leases: [],
    };
  }
  const snap = actor.getSnapshot();
  const { context } = snap;
  const state = neuronState(actor);

  const children = snap.children as Record<string, AnyActorRef | undefined>;
  const connectionSnap = children.connection?.getSnapshot();
  const connectionContext = connectionSnap?.context as { attempt?: number } | undefined;
  const actors = leaseActors(snap);
  const leases: LeaseSnapshot[] = [];
  for (const leaseId of context.leases.keys()) {
    const child = actors.get(leaseId)?.getSnapshot();
    if (!child) continue;
    const lease = child.context;
    leases.push({
      leaseId,
      taskId: lease.taskId,
      capabilityType: lease.capabilityType,
      state: stateString(child.value),
      expiresAt: new Date(lease.expiresAt).toISOString(),
    });
  }
  return {
    state,
    connection: {
      state: connectionSnap
        ? stateString(connectionSnap.value)
        : state === 'stopped'
          ? 'stopped'
          : 'idle',
      sessionId: context.sessionId,
      attempt: connectionContext?.attempt ?? 0,
    },
    capabilities: Object.entries(context.slots).map(([type, slots]) => ({
      type,
      concurrency: slots.limit,
      running: slots.running,
      queued: slots.queue.length,
      served: slots.served,
    })),
    leases,
  };
}
