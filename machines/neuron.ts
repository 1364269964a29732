/**
 * The neuron: the root actor. It invokes the connection and the lease pool, runs heartbeats while
 * the connection is registered, handles the connection's frames (`registered`, `disconnect`) and
 * invokes the drain actor on `stop`. Leases are the pool's: their frames go to it directly, and
 * the neuron hears from it only `leases.idle` during a drain. What users observe leaves through
 * `emit` (the connection's story) and the pool's own `emit` (the leases').
 */
import { assign, emit, enqueueActions, sendTo, setup } from 'xstate';
import { RegistrationRejectedError } from '../src/errors.js';
import { clamp, GATEWAY_HEARTBEAT_MAX_MS, GATEWAY_HEARTBEAT_MIN_MS } from '../src/limits.js';
import type { DisconnectFrame, InFlightLease, RegisteredFrame } from '../src/protocol/frames.js';
import {
  type ConnectionNotification,
  connectionMachine,
  type ReconnectSettings,
} from './connection.js';
import { type DrainRequest, drainMachine } from './drain.js';
import { leaseMachine } from './lease.js';
import {
  type HeartbeatAnswered,
  inFlightOf,
  type LeasePoolEmitted,
  type LeasePoolEvent,
  type LeasePoolNotification,
  leasePool,
} from './lease-pool.js';
import { errorOf, notProvided, outputOf, statusOf, toError } from './shared.js';

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

export interface NeuronContext {
  settings: NeuronMachineInput;
  heartbeatIntervalMs: number;
  sessionId: string | undefined;
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
  | RegisteredFrame
  | DisconnectFrame
  | ConnectionNotification
  | LeasePoolNotification
  | DrainRequest;

/** What the neuron's connection story emits. */
export type NeuronMachineEmitted =
  | { type: 'connection:open' }
  | { type: 'connection:registered'; registration: RegisteredFrame }
  | { type: 'connection:close'; reason: string }
  | { type: 'connection:reconnecting'; attempt: number; delayMs: number; reason: string }
  | { type: 'error'; error: Error };

/** What users observe (the `Neuron` class turns these into its typed events). */
export type NeuronEmitted = NeuronMachineEmitted | LeasePoolEmitted;

export interface HeartbeatInput {
  sessionId: string;
  inFlight: InFlightLease[];
}

export type HeartbeatOutput = Omit<HeartbeatAnswered, 'type'>;

/** The lease pool's `systemId`: the transport wiring sends it the lease frames directly. */
export const LEASE_POOL = 'leases';

export const neuronMachine = setup({
  types: {
    input: {} as NeuronMachineInput,
    context: {} as NeuronContext,
    events: {} as NeuronEvent,
    emitted: {} as NeuronMachineEmitted,
  },
  actors: {
    connection: connectionMachine,
    leases: leasePool(leaseMachine),
    drain: drainMachine,
    /** POST one heartbeat listing the pool's leases in flight. */
    heartbeat: notProvided<HeartbeatOutput, HeartbeatInput>('neuron', 'heartbeat'),
  },
  actions: {
    recordRegistration: enqueueActions(({ context, event, enqueue: q }) => {
      if (event.type !== 'registered') return;
      q.assign({
        registration: event,
        heartbeatIntervalMs:
          event.heartbeatIntervalMs === undefined
            ? context.settings.heartbeatIntervalMs
            : clamp(event.heartbeatIntervalMs, GATEWAY_HEARTBEAT_MIN_MS, GATEWAY_HEARTBEAT_MAX_MS),
      });
      q.sendTo('leases', {
        type: 'serve',
        capabilityTypes: event.capabilities.map((c) => c.type),
      } satisfies LeasePoolEvent);
      q.sendTo('connection', { type: 'registered', sessionId: event.sessionId });
    }),
    /**
     * 403 (or 400) on register: "the neuron holds no leases for those capabilities" — a lease
     * for one is refused `UNKNOWN_CAPABILITY` until a `registered` frame lists it again.
     */
    unserveRefused: enqueueActions(({ event, enqueue: q }) => {
      const error = errorOf(event);
      if (!(error instanceof RegistrationRejectedError)) return;
      q.sendTo('leases', {
        type: 'unserve',
        capabilityTypes: error.capabilityTypes,
      } satisfies LeasePoolEvent);
    }),
    forwardDisconnect: sendTo('connection', ({ event }) => {
      const e = event as DisconnectFrame;
      return {
        type: 'disconnect' as const,
        ...(e.reason === undefined ? {} : { reason: e.reason }),
        ...(e.reconnectAfterMs === undefined ? {} : { reconnectAfterMs: e.reconnectAfterMs }),
      };
    }),
    updateCapability: enqueueActions(({ event, enqueue: q }) => {
      if (event.type === 'update-capability') q.sendTo('leases', event);
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
      error: toError(errorOf(event)),
    })),
    recordStopRequest: assign({
      stopRequest: ({ event }) =>
        event.type === 'stop' ? { drain: event.drain, timeoutMs: event.timeoutMs } : undefined,
    }),
    /** Drain step 1. */
    refuseLeases: sendTo('leases', { type: 'refuse-leases' } satisfies LeasePoolEvent),
    /** Drain step 3. */
    abortRunning: sendTo('leases', { type: 'abort-all' } satisfies LeasePoolEvent),
    reportLeasesIdle: sendTo('drain', { type: 'leases.idle' }),
    stopConnection: sendTo('connection', { type: 'stop' }),
    /** The pool renews, or loses, the leases the heartbeat listed. */
    applyHeartbeatAnswer: sendTo(
      'leases',
      ({ event }): LeasePoolEvent => ({
        type: 'heartbeat-answered',
        ...(outputOf(event) as HeartbeatOutput),
      }),
    ),
    reportSessionLost: sendTo('connection', { type: 'session-lost' }),
  },
  guards: {
    sessionLost: ({ event }) => statusOf(errorOf(event)) === 404,
    /** 400 `INVALID_FRAME`: "error event; never retried" (the next tick is a new heartbeat). */
    invalidFrame: ({ event }) => statusOf(errorOf(event)) === 400,
  },
  delays: {
    heartbeat: ({ context }) => context.heartbeatIntervalMs,
  },
}).createMachine({
  id: 'neuron',
  context: ({ input }) => ({
    settings: input,
    heartbeatIntervalMs: input.heartbeatIntervalMs,
    sessionId: undefined,
    registration: undefined,
    stopRequest: undefined,
  }),
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
        {
          id: 'leases',
          systemId: LEASE_POOL,
          src: 'leases',
          input: ({ context }) => ({
            capabilities: context.settings.capabilities,
            cancelGraceMs: context.settings.cancelGraceMs,
            defaultLeaseTtlMs: context.settings.defaultLeaseTtlMs,
          }),
        },
      ],
      on: {
        registered: { actions: 'recordRegistration' },
        disconnect: { actions: 'forwardDisconnect' },
        'update-capability': { actions: 'updateCapability' },
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
                'leases.idle': { actions: 'reportLeasesIdle' },
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
                    input: ({ context, self }) => ({
                      sessionId: context.sessionId ?? '',
                      inFlight: inFlightOf(self.system.get(LEASE_POOL)),
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

export type NeuronMachine = typeof neuronMachine;
