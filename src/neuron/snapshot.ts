import type { Actor, AnyActorRef } from 'xstate';
import type { LeasePoolSnapshot } from '../../machines/lease-pool.js';
import { LEASE_POOL, type NeuronMachine } from '../../machines/neuron.js';
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

/** The lease pool's snapshot, while the neuron is active (none before `start()`, once stopped). */
export function poolOf(actor: Actor<NeuronMachine> | undefined): LeasePoolSnapshot | undefined {
  if (actor?.getSnapshot().status !== 'active') return undefined;
  const pool: AnyActorRef | undefined = actor.system.get(LEASE_POOL);
  const snapshot = pool?.getSnapshot() as LeasePoolSnapshot | undefined;
  return snapshot?.status === 'active' ? snapshot : undefined;
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
  const pool = poolOf(actor);
  if (!pool) return [];
  return [...pool.capabilities].map(([capabilityType, { counts }]) => ({
    capabilityType,
    running: counts.running,
    queued: counts.queued,
  }));
}

/**
 * The TTL of each lease in flight (its handler started, its outcome not yet delivered: the leases
 * heartbeats renew), for the watchdog.
 */
export function inFlightLeaseTtls(actor: Actor<NeuronMachine>): number[] {
  const ttls: number[] = [];
  for (const { actor: lease } of poolOf(actor)?.leases.values() ?? []) {
    const { startedAt, ttlMs } = lease.getSnapshot().context;
    if (startedAt !== undefined) ttls.push(ttlMs);
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
  const pool = poolOf(actor);
  const leases: LeaseSnapshot[] = [];
  for (const [leaseId, held] of pool?.leases ?? []) {
    const child = held.actor.getSnapshot();
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
    capabilities: [...handlers.keys()].map((type) => {
      const capability = pool?.capabilities.get(type);
      return {
        type,
        concurrency: capability?.counts.limit ?? concurrency.get(type) ?? 1,
        running: capability?.counts.running ?? 0,
        queued: capability?.counts.queued ?? 0,
        served: capability?.served ?? false,
      };
    }),
    leases,
  };
}
