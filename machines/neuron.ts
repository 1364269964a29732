/**
 * The neuron: the root actor. It invokes the connection, spawns one lease actor per accepted
 * lease (id = leaseId) and the drain actor on `stop`, routes the gateway's frames (each frame is
 * sent to it as an event of the frame's own `type`), keeps the per-capability slots, and runs
 * heartbeats while the connection is registered. What users observe leaves through `emit`.
 */
import { assign, emit, enqueueActions, fromPromise, sendTo, setup, stopChild } from 'xstate';
import type {
  CancelFrame,
  CapabilityRevokedFrame,
  DisconnectFrame,
  HeartbeatAnswer,
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
import { type LeaseNotification, leaseMachine, type Outcome, type Settlement } from './lease.js';
import { SettledLeases } from './settled-leases.js';
import { statusOf, toError } from './shared.js';
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
}

export interface NeuronContext {
  settings: NeuronMachineInput;
  slots: SlotTable;
  /**
   * Updated in place, like `settled`: copying it on every lease event made each lease cost
   * O(leases in flight), quadratic with thousands in flight (see README "Performance").
   */
  leases: Record<string, LeaseEntry>;
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
  answer: HeartbeatAnswer | undefined;
}

/** Child ids a leaseId must not take as it is: the neuron's own children, and the prefix below. */
const RESERVED_CHILD_ID = /^(?:connection|drain)$|^#_|^lease:/;

/**
 * The id of a lease's actor among the neuron's children: the leaseId itself, unless the gateway
 * sent one that would misbehave as a child id — `connection` or `drain` would shadow those
 * actors, one starting with `#_` addresses another child (xstate's system-id syntax), and
 * `constructor`, `__proto__`… name `Object.prototype` members. Those get a `lease:` prefix (and so
 * does a leaseId that already starts with it, so two leases never share an actor).
 */
export function leaseActorId(leaseId: string): string {
  return RESERVED_CHILD_ID.test(leaseId) || leaseId in Object.prototype
    ? `lease:${leaseId}`
    : leaseId;
}

/** `record[key] = value` that stays an own data property even for a key such as `__proto__`. */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Remember settled leaseIds for 10 to 20 minutes, to recognise replays. */
const SETTLED_MEMORY_MS = 10 * 60_000;

function inFlight(leases: Record<string, LeaseEntry>): InFlightLease[] {
  const list: InFlightLease[] = [];
  for (const [leaseId, entry] of Object.entries(leases)) {
    if (entry.startedAt === undefined) continue;
    list.push({
      leaseId,
      taskId: entry.taskId,
      startedAt: new Date(entry.startedAt).toISOString(),
    });
  }
  return list;
}

function leaseExpiry(frame: LeaseFrame, receivedAt: number, defaultTtlMs: number): number {
  const parsed = frame.expiresAt === undefined ? Number.NaN : Date.parse(frame.expiresAt);
  return Number.isFinite(parsed) ? parsed : receivedAt + defaultTtlMs;
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
    lease: leaseMachine,
    drain: drainMachine,
    /** POST one heartbeat. */
    heartbeat: fromPromise<HeartbeatOutput, HeartbeatInput>(() =>
      Promise.reject(new Error("neuron actor 'heartbeat' was not provided")),
    ),
  },
  actions: {
    acceptLease: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease') return;
      const { leaseId, capabilityType } = event;
      // `Object.hasOwn`, never `in`: a leaseId such as `constructor` is not a lease we hold.
      const duplicate = Object.hasOwn(context.leases, leaseId) || context.settled.has(leaseId);
      q.emit({
        type: 'lease:received',
        leaseId,
        taskId: event.task.taskId,
        capabilityType,
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
      setOwn(context.leases, leaseId, {
        capabilityType,
        taskId: frame.task.taskId,
        phase: 'validating',
        startedAt: undefined,
      });
      q.spawnChild('lease', {
        id: leaseActorId(leaseId),
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
      const entry = context.leases[event.leaseId];
      if (!entry) return;
      const queued = enqueue(context.slots, entry.capabilityType, event.leaseId);
      entry.phase = 'queued';
      startAdmitted(q, { ...context, slots: queued }, entry.capabilityType);
    }),
    releaseSlot: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease.slot-released') return;
      const entry = context.leases[event.leaseId];
      if (!entry) return;
      const slots = release(context.slots, entry.capabilityType);
      entry.phase = 'reporting';
      startAdmitted(q, { ...context, slots }, entry.capabilityType);
    }),
    forgetLease: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'lease.settled') return;
      const { leaseId } = event;
      const entry = Object.hasOwn(context.leases, leaseId) ? context.leases[leaseId] : undefined;
      delete context.leases[leaseId];
      q(() => context.settled.add(leaseId, Date.now()));
      const slots = entry
        ? dequeue(context.slots, entry.capabilityType, event.leaseId)
        : context.slots;
      q.assign({ slots });
      q(stopChild(leaseActorId(event.leaseId)));
      q.emit({
        type: 'lease:settled',
        leaseId: event.leaseId,
        taskId: event.taskId,
        capabilityType: event.capabilityType,
        settlement: event.settlement,
        outcome: event.outcome,
        durationMs: event.durationMs,
      });
      if (context.refusing && Object.keys(context.leases).length === 0)
        q.sendTo('drain', { type: 'leases.idle' });
    }),
    routeCancel: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'cancel' || !Object.hasOwn(context.leases, event.leaseId)) return;
      q.assign(withdrawQueued(context, [event.leaseId]));
      q.sendTo(
        leaseActorId(event.leaseId),
        event.reason === undefined ? { type: 'cancel' } : { type: 'cancel', reason: event.reason },
      );
    }),
    revokeCapability: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'capability-revoked') return;
      const ids = Object.keys(context.leases).filter(
        (id) => context.leases[id]?.capabilityType === event.capabilityType,
      );
      const { slots, leases } = withdrawQueued(context, ids);
      q.assign({ slots: setServed(slots, event.capabilityType, false), leases });
      for (const leaseId of ids)
        q.sendTo(leaseActorId(leaseId), { type: 'abort', reason: 'revoked' });
    }),
    recordRegistration: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'registered') return;
      const effective = new Set(event.capabilities.map((c) => c.type));
      let slots = context.slots;
      for (const type of Object.keys(slots)) slots = setServed(slots, type, effective.has(type));
      q.assign({
        slots,
        registration: event,
        heartbeatIntervalMs: event.heartbeatIntervalMs ?? context.settings.heartbeatIntervalMs,
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
      startAdmitted(q, { ...context, slots }, event.capabilityType);
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
      for (const [leaseId, entry] of Object.entries(context.leases)) {
        if (entry.phase === 'queued' || entry.phase === 'validating') {
          q.sendTo(leaseActorId(leaseId), { type: 'abort', reason: 'shutdown' });
        }
      }
      if (Object.keys(context.leases).length === 0) q.sendTo('drain', { type: 'leases.idle' });
    }),
    /** Drain step 3. */
    abortRunning: enqueueActions(({ context, enqueue: q }) => {
      for (const leaseId of Object.keys(context.leases))
        q.sendTo(leaseActorId(leaseId), { type: 'abort', reason: 'shutdown' });
    }),
    stopConnection: sendTo('connection', { type: 'stop' }),
    applyHeartbeatAnswer: enqueueActions(({ context, event, enqueue: q }) => {
      const output = (event as { output?: HeartbeatOutput }).output;
      if (!output) return;
      const lost = new Set(output.answer?.lost ?? []);
      const renewed = new Map(
        (output.answer?.leases ?? []).map((l) => [l.leaseId, Date.parse(l.expiresAt)]),
      );
      for (const leaseId of output.leaseIds) {
        if (!Object.hasOwn(context.leases, leaseId)) continue;
        const expiresAt = renewed.get(leaseId);
        if (lost.has(leaseId)) q.sendTo(leaseActorId(leaseId), { type: 'lost' });
        else if (expiresAt !== undefined && Number.isFinite(expiresAt))
          q.sendTo(leaseActorId(leaseId), { type: 'renewed', expiresAt });
        else if (output.answer === undefined)
          q.sendTo(leaseActorId(leaseId), { type: 'heartbeat-accepted', sentAt: output.sentAt });
      }
      for (const leaseId of lost) {
        if (Object.hasOwn(context.leases, leaseId) && !output.leaseIds.includes(leaseId))
          q.sendTo(leaseActorId(leaseId), { type: 'lost' });
      }
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
      leases: {},
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
      invoke: {
        id: 'connection',
        src: 'connection',
        input: ({ context }) => ({ settings: context.settings.reconnect }),
      },
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
function withdrawQueued(
  context: NeuronContext,
  leaseIds: string[],
): Pick<NeuronContext, 'slots' | 'leases'> {
  let slots = context.slots;
  const leases = context.leases;
  for (const id of leaseIds) {
    const entry = leases[id];
    if (entry?.phase !== 'queued') continue;
    slots = dequeue(slots, entry.capabilityType, id);
    setOwn(leases, id, { ...entry, phase: 'reporting' as const });
  }
  return { slots, leases };
}

type AdmitQueue = {
  assign: (values: Partial<NeuronContext>) => void;
  sendTo: (to: string, event: { type: 'start' }) => void;
};

/** Commit `next` and start the leases its free slots admit (none while refusing). */
function startAdmitted(q: AdmitQueue, next: NeuronContext, type: string): void {
  if (next.refusing) {
    q.assign({ slots: next.slots });
    return;
  }
  const { table, started } = admit(next.slots, type);
  const now = Date.now();
  for (const id of started) {
    const entry = Object.hasOwn(next.leases, id) ? next.leases[id] : undefined;
    if (entry) {
      entry.phase = 'running';
      entry.startedAt = now;
    }
  }
  q.assign({ slots: table });
  for (const id of started) q.sendTo(leaseActorId(id), { type: 'start' });
}

export type NeuronMachine = typeof neuronMachine;
