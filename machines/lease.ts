/**
 * One lease, from the `lease` frame to its outcome: PROTOCOL.md "Lease semantics". Its parent is
 * the lease pool (`lease-pool.ts`), which decides when it may start and routes the gateway's news
 * about it; its output, when it ends, is its `LeaseSettled`.
 *
 * Effects come in through `provide()`: the `validateInput` action (the capability's schema, run
 * synchronously on arrival), the `startHandler` / `abortHandler` / `stopHandler` actions (the
 * user's handler, its abort signal and the classification of how it ended) and the `postOutcome`
 * action (one ack or nack POST). The machine decides which outcome is due, when the handler's
 * signal fires, when to retry its POST, and when to give up.
 */
import { assign, sendParent, setup } from 'xstate';
import type { LeaseAbortReason } from '../src/errors.js';
import {
  clamp,
  MAX_TIMER_MS,
  OUTCOME_RETRY_FLOOR_MS,
  OUTCOME_RETRY_MAX_MS,
} from '../src/limits.js';
import type {
  LeaseFrame,
  NackKind,
  SchemaMismatchDetails,
  TaskPayload,
} from '../src/protocol/frames.js';
import { errorOf, isNotHeld, isTransientPostFailure, retryAfterOf } from './shared.js';

/** What the lease ends with on the wire. */
export type Outcome =
  | { kind: 'ack'; output: unknown }
  | {
      kind: 'nack';
      nack: NackKind;
      reason: string;
      code?: string;
      details?: SchemaMismatchDetails;
    };

/** How a lease ended, as `lease:settled` reports it. */
export type Settlement =
  /** The outcome was delivered. */
  | 'delivered'
  /** 409/410: the gateway no longer held the lease; the outcome was dropped. */
  | 'not-held'
  /** The lease expired before its outcome could be delivered (or while queued). */
  | 'expired'
  /** The gateway refused the outcome POST for good (400 `INVALID_FRAME`…); reported, dropped. */
  | 'rejected'
  /** The gateway reported the lease lost; no outcome is posted. */
  | 'lost';

export interface LeaseInput {
  frame: LeaseFrame;
  /** ms since the epoch when the frame arrived. */
  receivedAt: number;
  /** ms since the epoch the lease expires at (from `expiresAt`, or a default TTL). */
  expiresAt: number;
  /** Wait this long for a cancelled handler to settle. @default 5000 */
  cancelGraceMs: number;
  /** Set when the lease is refused on arrival (unknown capability, shutting down). */
  refusal?: Outcome | undefined;
}

export interface LeaseContext {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  task: TaskPayload;
  receivedAt: number;
  expiresAt: number;
  /** `expiresAt − receivedAt`: the renewal a heartbeat without a body implies. */
  ttlMs: number;
  cancelGraceMs: number;
  refusal: Outcome | undefined;
  /** The input after validation (and zod transforms). */
  input: unknown;
  /** ms since the epoch its handler started; the pool lists it in heartbeats from then on. */
  startedAt: number | undefined;
  /** How long the handler ran (until it settled or was given up on). */
  durationMs: number;
  outcome: Outcome | undefined;
  settlement: Settlement | undefined;
  /** Why the handler's signal fired, if it did. */
  abortReason: LeaseAbortReason | undefined;
  postAttempts: number;
  retryDelayMs: number;
  lastError: unknown;
}

export type LeaseEvent =
  /** A slot is free: run the handler. */
  | { type: 'start' }
  /** A `cancel` frame for this lease. */
  | { type: 'cancel'; reason?: string }
  /** Shutdown past the drain, or `capability-revoked`: abort and nack `retryable`. */
  | { type: 'abort'; reason: 'shutdown' | 'revoked' }
  /** A heartbeat answer moved the deadline. */
  | { type: 'renewed'; expiresAt: number }
  /** A heartbeat without a body was accepted at `sentAt`: renewed for the original TTL. */
  | { type: 'heartbeat-accepted'; sentAt: number }
  /** The heartbeat answer listed this lease in `lost`. */
  | { type: 'lost' }
  /** The pool: its deadline passed while it waited for a slot. */
  | { type: 'expire' }
  /** From the handler (`startHandler`). */
  | { type: 'handler.settled'; outcome: Outcome }
  /** From `postOutcome`: the gateway took the outcome. */
  | { type: 'outcome.delivered' }
  /** From `postOutcome`: the POST failed (a `GatewayStatusError`, `NetworkError`…). */
  | { type: 'outcome.failed'; error: unknown };

/** What a lease tells its parent, the pool, while it lives. */
export type LeaseNotification =
  /** Validated: it waits for a slot. */
  | { type: 'lease.queued'; leaseId: string }
  /** Its handler has ended (or been given up on): its slot is free. */
  | { type: 'lease.slot-released'; leaseId: string }
  /** The outcome POST was refused for good (not 409/410): the neuron reports `error`. */
  | { type: 'lease.rejected'; leaseId: string; error: unknown };

/** The lease actor's output: how it ended. */
export interface LeaseSettled {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  settlement: Settlement;
  outcome: Outcome | undefined;
  durationMs: number;
}

/** What the handler runs with, from the lease's context at its start. */
export interface RunHandlerInput {
  leaseId: string;
  capabilityType: string;
  task: TaskPayload;
  /** The validated input. */
  input: unknown;
}

export interface PostOutcomeInput {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  outcome: Outcome;
  durationMs: number;
}

/**
 * Ack/nack retry: 500 ms doubling up to 30 s. The gateway's `Retry-After` may lengthen that wait,
 * never shorten it: a `Retry-After: 0` (or a date already past) must not make a hot loop.
 */
export function outcomeRetryDelay(attempts: number, retryAfterMs: number | undefined): number {
  const backoff = Math.min(
    OUTCOME_RETRY_MAX_MS,
    OUTCOME_RETRY_FLOOR_MS * 2 ** Math.min(Math.max(attempts - 1, 0), 10),
  );
  return retryAfterMs === undefined ? backoff : clamp(retryAfterMs, backoff, MAX_TIMER_MS);
}

const nack = (kind: NackKind, reason: string, code?: string): Outcome =>
  code === undefined
    ? { kind: 'nack', nack: kind, reason }
    : { kind: 'nack', nack: kind, reason, code };

/** The nack for an input that does not match its capability's schema. */
export function inputMismatch(details: SchemaMismatchDetails): Outcome {
  return {
    kind: 'nack',
    nack: 'schema-mismatch',
    reason: 'input does not match the capability schema',
    details,
  };
}

/** The nack for an input whose schema check itself failed (a transform that threw…). */
export function inputCheckFailed(error: unknown): Outcome {
  return nack(
    'retryable',
    `input validation failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

const abortOutcome = (reason: 'shutdown' | 'revoked'): Outcome =>
  reason === 'shutdown'
    ? nack('retryable', 'the neuron is shutting down', 'SHUTDOWN')
    : nack('retryable', "the lease's capability was revoked", 'CAPABILITY_REVOKED');

const leaseSetup = setup({
  types: {
    input: {} as LeaseInput,
    context: {} as LeaseContext,
    events: {} as LeaseEvent,
    output: {} as LeaseSettled,
  },
  actions: {
    notifyQueued: sendParent(
      ({ context }): LeaseNotification => ({
        type: 'lease.queued',
        leaseId: context.leaseId,
      }),
    ),
    notifySlotReleased: sendParent(
      ({ context }): LeaseNotification => ({
        type: 'lease.slot-released',
        leaseId: context.leaseId,
      }),
    ),
    notifyRejected: sendParent(
      ({ context, event }): LeaseNotification => ({
        type: 'lease.rejected',
        leaseId: context.leaseId,
        error: errorOf(event),
      }),
    ),
    /**
     * Checks `task.input` against the capability's schema: sets `input` (after transforms), or
     * `outcome` to the nack a mismatch earns. Provided by the neuron; by default every input fits.
     */
    validateInput: assign(({ context }): Partial<LeaseContext> => ({ input: context.task.input })),
    /** Log that an outcome was dropped; supplied by the neuron. */
    warnDropped: () => {},
    /**
     * The handler, as three actions the neuron provides: `startHandler` runs it (it sends the
     * lease `handler.settled` with the classified outcome), `abortHandler` fires its signal with
     * `abortReason`, `stopHandler` lets it go when the lease leaves `executing` (a handler still
     * running then is abandoned, its signal fired). Actions, not an invoked actor: the machine
     * decides cancellation either way, and an actor per running lease cost ~1.6 KB and a
     * creation, start and stop per lease. A lease stopped from outside is its pool's to clean up
     * (`leasePool`'s `abandon`): xstate runs no exit action when it stops a machine.
     */
    startHandler: () => {
      throw new Error("lease action 'startHandler' was not provided");
    },
    /**
     * One ack or nack POST of `postOutcomeInput(context)`; it sends the lease `outcome.delivered`
     * or `outcome.failed`. An action the neuron provides, not an invoked actor: nothing ever
     * cancels an outcome POST (a lease named lost while one is in flight ends, and the answer
     * finds no lease to tell), and an actor per lease cost a creation, start and stop each.
     */
    postOutcome: () => {
      throw new Error("lease action 'postOutcome' was not provided");
    },
    abortHandler: () => {},
    stopHandler: () => {},
    recordRefusal: assign({ outcome: ({ context }) => context.refusal }),
    recordStart: assign({ startedAt: () => Date.now() }),
    /**
     * Leaving `executing`, however: how long the handler ran, and — when it settled on its own,
     * not after a cancel or abort had already decided the outcome — what it settled with.
     */
    recordHandlerEnd: assign(({ context, event }) => ({
      durationMs: context.startedAt === undefined ? 0 : Date.now() - context.startedAt,
      outcome:
        event.type === 'handler.settled' && context.abortReason === undefined
          ? event.outcome
          : context.outcome,
    })),
    recordCancel: assign({
      abortReason: 'cancelled' as const,
      outcome: ({ event }) =>
        nack(
          'cancelled',
          event.type === 'cancel' && event.reason ? event.reason : 'cancelled by the gateway',
        ),
    }),
    recordAbort: assign(({ event }) => {
      const reason = event.type === 'abort' ? event.reason : 'shutdown';
      return { abortReason: reason, outcome: abortOutcome(reason) };
    }),
    recordLost: assign({ abortReason: 'lost' as const, settlement: 'lost' as const }),
    recordRenewal: assign({
      expiresAt: ({ context, event }) => {
        if (event.type === 'renewed') return event.expiresAt;
        if (event.type === 'heartbeat-accepted') return event.sentAt + context.ttlMs;
        return context.expiresAt;
      },
    }),
    recordPostFailure: assign(({ context, event }) => {
      const error = errorOf(event);
      const postAttempts = context.postAttempts + 1;
      return {
        postAttempts,
        retryDelayMs: outcomeRetryDelay(postAttempts, retryAfterOf(error)),
        lastError: error,
      };
    }),
    recordNotHeld: assign({ settlement: 'not-held' as const }),
    recordExpired: assign({ settlement: 'expired' as const }),
    recordRejected: assign({ settlement: 'rejected' as const }),
  },
  guards: {
    refused: ({ context }) => context.refusal !== undefined,
    /** Its `expiresAt` had passed when it arrived: the gateway has already reclaimed it. */
    arrivedExpired: ({ context }) => context.expiresAt <= context.receivedAt,
    leaseLost: ({ context }) => context.settlement === 'lost',
    /** `validateInput` decided the outcome: a schema mismatch. */
    inputRejected: ({ context }) => context.outcome !== undefined,
    handlerAcked: ({ event }) => event.type === 'handler.settled' && event.outcome.kind === 'ack',
    /** 409/410 `LEASE_NOT_HELD`: never retried. */
    notHeld: ({ event }) => isNotHeld(errorOf(event)),
    /** 401 here means the second 401 in a row: retried like a transient failure after re-auth. */
    transient: ({ event }) => isTransientPostFailure(errorOf(event)),
    /** Transient, and the next try still lands before the lease expires. */
    retryable: ({ context, event }) => {
      const error = errorOf(event);
      const retryAt = Date.now() + outcomeRetryDelay(context.postAttempts + 1, retryAfterOf(error));
      return isTransientPostFailure(error) && retryAt < context.expiresAt;
    },
  },
  delays: {
    cancelGrace: ({ context }) => context.cancelGraceMs,
    outcomeRetry: ({ context }) => context.retryDelayMs,
  },
});

/** `acking` and `nacking` alike: post the outcome, retry it while that can still help. */
const deliveringOutcome = leaseSetup.createStateConfig({
  initial: 'posting',
  // "A lease named in `lost` is aborted at once … and no outcome is posted for it": an
  // outcome still being posted or retried is dropped (heartbeats list it until it settles).
  on: { lost: { target: '#lease.lost', actions: 'recordLost' } },
  states: {
    posting: {
      entry: 'postOutcome',
      on: {
        'outcome.delivered': '#lease.settled',
        'outcome.failed': [
          {
            guard: 'notHeld',
            target: '#lease.settled',
            actions: ['recordNotHeld', 'warnDropped'],
          },
          { guard: 'retryable', target: 'retrying', actions: 'recordPostFailure' },
          {
            guard: 'transient',
            target: '#lease.settled',
            actions: ['recordPostFailure', 'recordExpired', 'warnDropped'],
          },
          // 400 `INVALID_FRAME` (or another refusal): "error event; never retried".
          {
            target: '#lease.settled',
            actions: ['recordPostFailure', 'recordRejected', 'warnDropped', 'notifyRejected'],
          },
        ],
      },
    },
    retrying: { after: { outcomeRetry: 'posting' } },
  },
});

export const leaseMachine = leaseSetup.createMachine({
  id: 'lease',
  context: ({ input }) => ({
    leaseId: input.frame.leaseId,
    taskId: input.frame.task.taskId,
    capabilityType: input.frame.capabilityType,
    task: input.frame.task,
    receivedAt: input.receivedAt,
    expiresAt: input.expiresAt,
    ttlMs: Math.max(0, input.expiresAt - input.receivedAt),
    cancelGraceMs: input.cancelGraceMs,
    refusal: input.refusal,
    input: undefined,
    startedAt: undefined,
    durationMs: 0,
    outcome: undefined,
    settlement: undefined,
    abortReason: undefined,
    postAttempts: 0,
    retryDelayMs: 0,
    lastError: undefined,
  }),
  initial: 'received',
  on: {
    renewed: { actions: 'recordRenewal' },
    'heartbeat-accepted': { actions: 'recordRenewal' },
  },
  states: {
    received: {
      always: [
        { guard: 'arrivedExpired', target: 'expired' },
        { guard: 'refused', target: 'nacking', actions: 'recordRefusal' },
        { target: 'validating' },
      ],
    },
    /** Synchronous: the schema check runs on entry, and the lease leaves in the same step. */
    validating: {
      entry: 'validateInput',
      always: [{ guard: 'inputRejected', target: 'nacking' }, { target: 'queued' }],
    },
    /**
     * Waiting for a slot; not listed in heartbeats, so never renewed. A heartbeat answer may
     * still name it `lost` (the gateway reclaimed it), or its deadline pass (`expire`, from the
     * pool, which keeps one timer for all queued leases): it then never runs, and posts nothing.
     */
    queued: {
      entry: 'notifyQueued',
      on: {
        start: 'executing',
        cancel: { target: 'nacking', actions: 'recordCancel' },
        abort: { target: 'nacking', actions: 'recordAbort' },
        lost: { target: 'lost', actions: 'recordLost' },
        expire: 'expired',
      },
    },
    executing: {
      entry: ['recordStart', 'startHandler'],
      exit: ['recordHandlerEnd', 'notifySlotReleased', 'stopHandler'],
      initial: 'running',
      states: {
        running: {
          on: {
            'handler.settled': [
              { target: '#lease.acking', guard: 'handlerAcked' },
              { target: '#lease.nacking' },
            ],
            cancel: { target: 'cancelling', actions: ['recordCancel', 'abortHandler'] },
            abort: { target: 'aborting', actions: ['recordAbort', 'abortHandler'] },
            lost: { target: 'aborting', actions: ['recordLost', 'abortHandler'] },
          },
        },
        /** Cancelled: whatever the handler does now, the outcome is `cancelled`. */
        cancelling: {
          on: {
            'handler.settled': '#lease.nacking',
            abort: '#lease.nacking',
            lost: { target: 'aborting', actions: 'recordLost' },
          },
          after: { cancelGrace: '#lease.nacking' },
        },
        /** The signal has fired with its reason; leave without waiting for the handler. */
        aborting: {
          always: [{ guard: 'leaseLost', target: '#lease.lost' }, { target: '#lease.nacking' }],
        },
      },
    },
    acking: deliveringOutcome,
    nacking: deliveringOutcome,
    /**
     * A lease whose `expiresAt` passed before it started (on arrival, or while queued): the
     * gateway has already reclaimed it. It never runs and posts nothing.
     */
    expired: {
      type: 'final',
      entry: 'recordExpired',
    },
    lost: { type: 'final' },
    settled: { type: 'final' },
  },
  output: ({ context }): LeaseSettled => ({
    leaseId: context.leaseId,
    taskId: context.taskId,
    capabilityType: context.capabilityType,
    settlement: context.settlement ?? 'delivered',
    outcome: context.outcome,
    durationMs: context.durationMs,
  }),
});

/** What the outcome POST of the lease in `context` carries. */
export function postOutcomeInput(context: LeaseContext): PostOutcomeInput {
  return {
    leaseId: context.leaseId,
    taskId: context.taskId,
    capabilityType: context.capabilityType,
    outcome: context.outcome ?? nack('retryable', 'no outcome recorded'),
    durationMs: context.durationMs,
  };
}

export type LeaseMachine = typeof leaseMachine;
