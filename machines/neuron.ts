/**
 * The neuron: the root actor. It invokes the connection and the lease pool, has the pool spawn
 * one lease actor per accepted lease (id = leaseId), invokes the drain actor on `stop`, routes the
 * gateway's frames (each frame is sent to it as an event of the frame's own `type`), keeps the
 * per-capability slots, and runs heartbeats while the connection is registered. What users
 * observe leaves through `emit`.
 */
import { assign, emit, enqueueActions, sendTo, setup } from 'xstate';
import {
  clamp,
  GATEWAY_HEARTBEAT_MAX_MS,
  GATEWAY_HEARTBEAT_MIN_MS,
  MAX_TIMER_MS,
} from '../src/limits.js';
import type {
  CancelFrame,
  CapabilityRevokedFrame,
  CheckedHeartbeatAnswer,
  DisconnectFrame,
  InFlightLease,
  LeaseFrame,
  RegisteredFrame,
} from '../src/protocol/frames.js';
import {
  type ConnectionNotification,
  connectionMachine,
  type ReconnectSettings,
} from './connection.js';
import { type DrainRequest, drainMachine } from './drain.js';
import {
  type LeaseEvent,
  type LeaseNotification,
  leaseMachine,
  type Outcome,
  type Settlement,
} from './lease.js';
import { type LeaseDelivery, leasePool } from './lease-pool.js';
import { SettledLeases } from './settled-leases.js';
import { notProvided, statusOf, toError } from './shared.js';
import {
  admit,
  dequeue,
  enqueue,
  release,
  type SlotTable,
  setLimit,
  setServed,
  slotsOf,
} from './slots.js';

export interface NeuronMachineInput {
  /** Capability type → its concurrency limit. */
  capabilities: Record<string, number>;
  heartbeatIntervalMs: number;
  cancelGraceMs: number;
  /** Used when a lease frame has no (valid) `expiresAt`. */
  defaultLeaseTtlMs: number;
  /** How long step 3 of the drain waits for the `SHUTDOWN` nacks. */
  abortGraceMs: number;
  reconnect: ReconnectSettings;
}

export type LeasePhase = 'validating' | 'queued' | 'running' | 'reporting';

export interface LeaseEntry {
  capabilityType: string;
  taskId: string;
  phase: LeasePhase;
  /** ms since the epoch; set when the handler starts. */
  startedAt: number | undefined;
  /** A heartbeat answer named it `lost` while its input was being validated. */
  lost?: true;
}

export interface NeuronContext {
  settings: NeuronMachineInput;
  slots: SlotTable;
  /**
   * The leases held, by leaseId. Updated in place, like `settled`: copying it on every lease
   * event made each lease cost O(leases in flight), quadratic with thousands in flight.
   */
  leases: LeaseTable;
  /** Settled leaseIds; a replayed `lease` for one of them is a duplicate. */
  settled: SettledLeases;
  heartbeatIntervalMs: number;
  sessionId: string | undefined;
  /** Set by drain step 1: new leases are nacked `SHUTDOWN`. */
  refusing: boolean;
  /** The last `registered` frame, for `connection:registered`. */
  registration: RegisteredFrame | undefined;
  /** What `stop()` asked for. */
  stopRequest: { drain: boolean; timeoutMs: number } | undefined;
}

export type NeuronCommand =
  | { type: 'start' }
  | { type: 'stop'; drain: boolean; timeoutMs: number }
  | { type: 'update-capability'; capabilityType: string; concurrency: number };

export type NeuronEvent =
  | NeuronCommand
  | (LeaseFrame & { receivedAt: number })
  | CancelFrame
  | CapabilityRevokedFrame
  | RegisteredFrame
  | DisconnectFrame
  | ConnectionNotification
  | LeaseNotification
  | DrainRequest;

/** What users observe (the `Neuron` class turns these into its typed events). */
export type NeuronEmitted =
  | { type: 'connection:open' }
  | { type: 'connection:registered'; registration: RegisteredFrame }
  | { type: 'connection:close'; reason: string }
  | { type: 'connection:reconnecting'; attempt: number; delayMs: number; reason: string }
  | { type: 'error'; error: Error }
  | {
      type: 'lease:received';
      leaseId: string;
      taskId: string;
      capabilityType: string;
      /** The task's delivery attempt, when the gateway sent one. */
      attempt: number | undefined;
      duplicate: boolean;
    }
  | {
      type: 'lease:settled';
      leaseId: string;
      taskId: string;
      capabilityType: string;
      settlement: Settlement;
      outcome: Outcome | undefined;
      durationMs: number;
    };

export interface HeartbeatInput {
  sessionId: string;
  inFlight: InFlightLease[];
}

export interface HeartbeatOutput {
  /** ms since the epoch the heartbeat was sent. */
  sentAt: number;
  leaseIds: string[];
  /** The answer's body once checked; `undefined` when it had none (or none worth reading). */
  answer: CheckedHeartbeatAnswer | undefined;
}

/** The lease table; serialized (for the inspector, snapshots in logs) as a plain object. */
export class LeaseTable extends Map<string, LeaseEntry> {
  toJSON(): Record<string, LeaseEntry> {
    return Object.fromEntries(this);
  }
}

/** One event for one lease, through the pool. */
function deliver(
  leaseId: string,
  event: LeaseEvent,
): { type: 'deliver'; deliveries: LeaseDelivery[] } {
  return { type: 'deliver', deliveries: [{ leaseId, event }] };
}

/** Remember settled leaseIds for 10 to 20 minutes, to recognise replays. */
const SETTLED_MEMORY_MS = 10 * 60_000;

function inFlight(leases: Map<string, LeaseEntry>): InFlightLease[] {
  const list: InFlightLease[] = [];
  for (const [leaseId, entry] of leases) {
    if (entry.startedAt === undefined) continue;
    list.push({
      leaseId,
      taskId: entry.taskId,
      startedAt: new Date(entry.startedAt).toISOString(),
    });
  }
  return list;
}

/**
 * The lease's deadline: its `expiresAt`, else the default TTL. Held to at most `MAX_TIMER_MS`
 * ahead, so the queued lease's expiry timer (and the retry guard) stays within what a timer
 * holds; a deadline already past is kept (the lease then settles `expired` without running).
 */
function leaseExpiry(frame: LeaseFrame, receivedAt: number, defaultTtlMs: number): number {
  const parsed = frame.expiresAt === undefined ? Number.NaN : Date.parse(frame.expiresAt);
  return Number.isFinite(parsed) ? boundedDeadline(parsed, receivedAt) : receivedAt + defaultTtlMs;
}

function boundedDeadline(expiresAt: number, now: number): number {
  return Math.min(expiresAt, now + MAX_TIMER_MS);
}

export const neuronMachine = setup({
  types: {
    input: {} as NeuronMachineInput,
    context: {} as NeuronContext,
    events: {} as NeuronEvent,
    emitted: {} as NeuronEmitted,
  },
  actors: {
    connection: connectionMachine,
    leases: leasePool(leaseMachine),
    drain: drainMachine,
    /** POST one heartbeat. */
    heartbeat: notProvided<HeartbeatOutput, HeartbeatInput>('neuron', 'heartbeat'),
  },
  actions: {
    acceptLease: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease') return;
      const { leaseId, capabilityType } = event;
      const duplicate = context.leases.has(leaseId) || context.settled.has(leaseId);
      q.emit({
        type: 'lease:received',
        leaseId,
        taskId: event.task.taskId,
        capabilityType,
        attempt: event.task.attempt,
        duplicate,
      });
      if (duplicate) return;
      const { receivedAt, ...frame } = event;
      const served = slotsOf(context.slots, capabilityType)?.served === true;
      let refusal: Outcome | undefined;
      if (context.refusing) {
        refusal = {
          kind: 'nack',
          nack: 'retryable',
          reason: 'the neuron is shutting down',
          code: 'SHUTDOWN',
        };
      } else if (!served) {
        refusal = {
          kind: 'nack',
          nack: 'retryable',
          reason: `this neuron does not serve ${capabilityType}`,
          code: 'UNKNOWN_CAPABILITY',
        };
      }
      context.leases.set(leaseId, {
        capabilityType,
        taskId: frame.task.taskId,
        phase: 'validating',
        startedAt: undefined,
      });
      q.sendTo('leases', {
        type: 'spawn-lease',
        input: {
          frame,
          receivedAt,
          expiresAt: leaseExpiry(frame, receivedAt, context.settings.defaultLeaseTtlMs),
          cancelGraceMs: context.settings.cancelGraceMs,
          ...(refusal ? { refusal } : {}),
        },
      });
    }),
    /** A validated lease joins its capability's queue; free slots take from the queue. */
    queueLease: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease.queued') return;
      const entry = context.leases.get(event.leaseId);
      if (!entry) return;
      entry.phase = 'queued';
      // Named lost during validation (which ignores it): now that it waits, it hears it, never
      // takes a slot, and posts nothing.
      if (entry.lost) {
        q.sendTo('leases', deliver(event.leaseId, { type: 'lost' }));
        return;
      }
      const slots = enqueue(context.slots, entry.capabilityType, event.leaseId);
      startAdmitted(q, context, slots, entry.capabilityType);
    }),
    releaseSlot: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease.slot-released') return;
      const entry = context.leases.get(event.leaseId);
      if (!entry) return;
      const slots = release(context.slots, entry.capabilityType);
      entry.phase = 'reporting';
      startAdmitted(q, context, slots, entry.capabilityType);
    }),
    forgetLease: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease.settled') return;
      const { leaseId } = event;
      const entry = context.leases.get(leaseId);
      context.leases.delete(leaseId);
      q(() => context.settled.add(leaseId, Date.now()));
      const slots = entry
        ? dequeue(context.slots, entry.capabilityType, event.leaseId)
        : context.slots;
      q.assign({ slots });
      q.emit({
        type: 'lease:settled',
        leaseId: event.leaseId,
        taskId: event.taskId,
        capabilityType: event.capabilityType,
        settlement: event.settlement,
        outcome: event.outcome,
        durationMs: event.durationMs,
      });
      if (context.refusing && context.leases.size === 0) q.sendTo('drain', { type: 'leases.idle' });
    }),
    routeCancel: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'cancel' || !context.leases.has(event.leaseId)) return;
      q.assign({ slots: withdrawQueued(context, [event.leaseId]) });
      q.sendTo(
        'leases',
        deliver(
          event.leaseId,
          event.reason === undefined
            ? { type: 'cancel' }
            : { type: 'cancel', reason: event.reason },
        ),
      );
    }),
    revokeCapability: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'capability-revoked') return;
      const ids: string[] = [];
      for (const [id, entry] of context.leases)
        if (entry.capabilityType === event.capabilityType) ids.push(id);
      const slots = withdrawQueued(context, ids);
      q.assign({ slots: setServed(slots, event.capabilityType, false) });
      q.sendTo('leases', {
        type: 'deliver',
        deliveries: ids.map((leaseId) => ({
          leaseId,
          event: { type: 'abort', reason: 'revoked' },
        })),
      });
    }),
    recordRegistration: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'registered') return;
      const effective = new Set(event.capabilities.map((c) => c.type));
      let slots = context.slots;
      for (const type of Object.keys(slots)) slots = setServed(slots, type, effective.has(type));
      q.assign({
        slots,
        registration: event,
        heartbeatIntervalMs:
          event.heartbeatIntervalMs === undefined
            ? context.settings.heartbeatIntervalMs
            : clamp(event.heartbeatIntervalMs, GATEWAY_HEARTBEAT_MIN_MS, GATEWAY_HEARTBEAT_MAX_MS),
      });
      q.sendTo('connection', { type: 'registered', sessionId: event.sessionId });
    }),
    /**
     * 403 (or 400) on register: "the neuron holds no leases for those capabilities" — a lease
     * for one is refused `UNKNOWN_CAPABILITY` until a `registered` frame lists it again.
     */
    unserveRefused: assign({
      slots: ({ context, event }) => {
        const error = (event as { error?: { code?: unknown; capabilityTypes?: unknown } }).error;
        if (error?.code !== 'NEURON_ERR_REGISTRATION_REJECTED') return context.slots;
        const types = Array.isArray(error.capabilityTypes) ? error.capabilityTypes : [];
        let slots = context.slots;
        for (const type of types)
          if (typeof type === 'string') slots = setServed(slots, type, false);
        return slots;
      },
    }),
    forwardDisconnect: sendTo('connection', ({ event }) => {
      const e = event as DisconnectFrame;
      return {
        type: 'disconnect' as const,
        ...(e.reason === undefined ? {} : { reason: e.reason }),
        ...(e.reconnectAfterMs === undefined ? {} : { reconnectAfterMs: e.reconnectAfterMs }),
      };
    }),
    updateCapability: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'update-capability') return;
      const slots = setLimit(context.slots, event.capabilityType, event.concurrency);
      startAdmitted(q, context, slots, event.capabilityType);
    }),
    recordSession: assign({
      sessionId: ({ event }) =>
        event.type === 'connection.registered' ? event.sessionId : undefined,
    }),
    clearSession: assign({ sessionId: undefined }),
    emitOpen: emit({ type: 'connection:open' }),
    emitRegistered: emit(({ context, event }) => ({
      type: 'connection:registered' as const,
      registration: context.registration ?? {
        type: 'registered' as const,
        sessionId: event.type === 'connection.registered' ? event.sessionId : '',
        capabilities: [],
      },
    })),
    emitClose: emit(({ event }) => ({
      type: 'connection:close' as const,
      reason: event.type === 'connection.closed' ? event.reason : 'closed',
    })),
    emitReconnecting: emit(({ event }) =>
      event.type === 'connection.reconnecting'
        ? {
            type: 'connection:reconnecting' as const,
            attempt: event.attempt,
            delayMs: event.delayMs,
            reason: event.reason,
          }
        : { type: 'connection:reconnecting' as const, attempt: 0, delayMs: 0, reason: '' },
    ),
    emitError: emit(({ event }) => ({
      type: 'error' as const,
      error: toError((event as { error?: unknown }).error),
    })),
    recordStopRequest: assign({
      stopRequest: ({ event }) =>
        event.type === 'stop' ? { drain: event.drain, timeoutMs: event.timeoutMs } : undefined,
    }),
    /** Drain step 1. */
    refuseLeases: enqueueActions(({ context, enqueue: q }) => {
      q.assign({ refusing: true });
      const deliveries: LeaseDelivery[] = [];
      for (const [leaseId, entry] of context.leases) {
        if (entry.phase === 'queued' || entry.phase === 'validating')
          deliveries.push({ leaseId, event: { type: 'abort', reason: 'shutdown' } });
      }
      if (deliveries.length > 0) q.sendTo('leases', { type: 'deliver', deliveries });
      if (context.leases.size === 0) q.sendTo('drain', { type: 'leases.idle' });
    }),
    /** Drain step 3. */
    abortRunning: enqueueActions(({ context, enqueue: q }) => {
      const deliveries: LeaseDelivery[] = [];
      for (const leaseId of context.leases.keys())
        deliveries.push({ leaseId, event: { type: 'abort', reason: 'shutdown' } });
      q.sendTo('leases', { type: 'deliver', deliveries });
    }),
    stopConnection: sendTo('connection', { type: 'stop' }),
    /**
     * The answer has been checked by the `heartbeat` actor (only well-formed entries reach it).
     * A listed lease named in `leases` gets that deadline; one named in `lost` is lost. With no
     * `leases` list (no body, or a body without one) every listed lease that is not lost was
     * renewed for its original TTL, counted from when the heartbeat was sent.
     */
    applyHeartbeatAnswer: enqueueActions(({ context, event, enqueue: q }) => {
      const output = (event as { output?: HeartbeatOutput }).output;
      if (!output) return;
      const lost = new Set(output.answer?.lost);
      const renewals = output.answer?.leases;
      const renewed = new Map(renewals?.map((l) => [l.leaseId, l.expiresAt]));
      const now = Date.now();
      const deliveries: LeaseDelivery[] = [];
      const listed = new Set<string>();
      for (const leaseId of output.leaseIds) {
        listed.add(leaseId);
        if (!context.leases.has(leaseId)) continue;
        const expiresAt = renewed.get(leaseId);
        if (lost.has(leaseId)) deliveries.push({ leaseId, event: { type: 'lost' } });
        else if (expiresAt !== undefined)
          deliveries.push({
            leaseId,
            event: { type: 'renewed', expiresAt: boundedDeadline(expiresAt, now) },
          });
        else if (renewals === undefined)
          deliveries.push({
            leaseId,
            event: { type: 'heartbeat-accepted', sentAt: output.sentAt },
          });
      }
      for (const leaseId of lost) {
        const entry = context.leases.get(leaseId);
        if (!entry || listed.has(leaseId)) continue;
        if (entry.phase === 'validating') entry.lost = true;
        else deliveries.push({ leaseId, event: { type: 'lost' } });
      }
      if (deliveries.length > 0) q.sendTo('leases', { type: 'deliver', deliveries });
    }),
    reportSessionLost: sendTo('connection', { type: 'session-lost' }),
  },
  guards: {
    sessionLost: ({ event }) => statusOf((event as { error?: unknown }).error) === 404,
    /** 400 `INVALID_FRAME`: "error event; never retried" (the next tick is a new heartbeat). */
    invalidFrame: ({ event }) => statusOf((event as { error?: unknown }).error) === 400,
  },
  delays: {
    heartbeat: ({ context }) => context.heartbeatIntervalMs,
  },
}).createMachine({
  id: 'neuron',
  context: ({ input }) => {
    const slots: SlotTable = {};
    for (const [type, limit] of Object.entries(input.capabilities)) {
      slots[type] = { limit, running: 0, queue: [], served: true };
    }
    return {
      settings: input,
      slots,
      leases: new LeaseTable(),
      settled: new SettledLeases(SETTLED_MEMORY_MS, Date.now()),
      heartbeatIntervalMs: input.heartbeatIntervalMs,
      sessionId: undefined,
      refusing: false,
      registration: undefined,
      stopRequest: undefined,
    };
  },
  initial: 'idle',
  states: {
    idle: {
      on: {
        start: 'active',
        stop: 'stopped',
      },
    },
    active: {
      type: 'parallel',
      invoke: [
        {
          id: 'connection',
          src: 'connection',
          input: ({ context }) => ({ settings: context.settings.reconnect }),
        },
        { id: 'leases', src: 'leases' },
      ],
      on: {
        lease: { actions: 'acceptLease' },
        cancel: { actions: 'routeCancel' },
        'capability-revoked': { actions: 'revokeCapability' },
        registered: { actions: 'recordRegistration' },
        disconnect: { actions: 'forwardDisconnect' },
        'update-capability': { actions: 'updateCapability' },
        'lease.queued': { actions: 'queueLease' },
        'lease.slot-released': { actions: 'releaseSlot' },
        'lease.settled': { actions: 'forgetLease' },
        'lease.rejected': { actions: 'emitError' },
        'connection.open': { actions: 'emitOpen' },
        'connection.error': { actions: ['unserveRefused', 'emitError'] },
        'connection.reconnecting': { actions: 'emitReconnecting' },
      },
      states: {
        lifecycle: {
          initial: 'serving',
          states: {
            serving: {
              on: { stop: { target: 'draining', actions: 'recordStopRequest' } },
            },
            /** The drain actor walks PROTOCOL.md's four steps; this state carries them out. */
            draining: {
              invoke: {
                id: 'drain',
                src: 'drain',
                input: ({ context }) => ({
                  drain: context.stopRequest?.drain ?? true,
                  timeoutMs: context.stopRequest?.timeoutMs ?? 30_000,
                  abortGraceMs: context.settings.abortGraceMs,
                }),
                onDone: '#neuron.stopped',
              },
              on: {
                'drain.refuse-leases': { actions: 'refuseLeases' },
                'drain.abort-running': { actions: 'abortRunning' },
                'drain.close': { actions: 'stopConnection' },
              },
            },
          },
        },
        heartbeat: {
          initial: 'off',
          on: {
            'connection.closed': { target: '.off', actions: ['clearSession', 'emitClose'] },
            'drain.close': { target: '.off', actions: 'clearSession' },
          },
          states: {
            off: {
              on: {
                'connection.registered': {
                  target: 'on',
                  actions: ['recordSession', 'emitRegistered'],
                },
              },
            },
            /**
             * Left on `connection.closed`: a registered connection only leaves `open` by reporting
             * the close first, so a `connection.reconnecting` always finds heartbeats off.
             */
            on: {
              initial: 'waiting',
              on: {
                'connection.registered': { actions: ['recordSession', 'emitRegistered'] },
              },
              states: {
                waiting: {
                  after: { heartbeat: 'beating' },
                },
                beating: {
                  invoke: {
                    src: 'heartbeat',
                    input: ({ context }) => ({
                      sessionId: context.sessionId ?? '',
                      inFlight: inFlight(context.leases),
                    }),
                    onDone: { target: 'waiting', actions: 'applyHeartbeatAnswer' },
                    // A second 401 is the transport's to escalate (`onAuthRejected`), which it
                    // does before the POST rejects: the connection closes, and this invoke with it.
                    onError: [
                      {
                        guard: 'sessionLost',
                        target: '#neuron.active.heartbeat.off',
                        actions: 'reportSessionLost',
                      },
                      { guard: 'invalidFrame', target: 'waiting', actions: 'emitError' },
                      { target: 'waiting' },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
});

/**
 * Queued leases that leave without running (cancelled, revoked) leave the FIFO at once, not when
 * their nack is answered: a slot freed meanwhile must go to the next lease, not to one that will
 * never start (and so never give the slot back).
 */
function withdrawQueued(context: NeuronContext, leaseIds: string[]): SlotTable {
  let slots = context.slots;
  for (const id of leaseIds) {
    const entry = context.leases.get(id);
    if (entry?.phase !== 'queued') continue;
    slots = dequeue(slots, entry.capabilityType, id);
    entry.phase = 'reporting';
  }
  return slots;
}

type AdmitQueue = {
  assign: (values: Partial<NeuronContext>) => void;
  sendTo: (to: 'leases', event: { type: 'deliver'; deliveries: LeaseDelivery[] }) => void;
};

/** Commit `slots` and start the leases its free slots of `type` admit (none while refusing). */
function startAdmitted(
  q: AdmitQueue,
  context: NeuronContext,
  slots: SlotTable,
  type: string,
): void {
  if (context.refusing) {
    q.assign({ slots });
    return;
  }
  const { table, started } = admit(slots, type);
  const now = Date.now();
  const deliveries: LeaseDelivery[] = [];
  for (const leaseId of started) {
    const entry = context.leases.get(leaseId);
    if (entry) {
      entry.phase = 'running';
      entry.startedAt = now;
    }
    deliveries.push({ leaseId, event: { type: 'start' } });
  }
  q.assign({ slots: table });
  if (deliveries.length > 0) q.sendTo('leases', { type: 'deliver', deliveries });
}

export type NeuronMachine = typeof neuronMachine;
