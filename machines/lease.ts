/**
 * One lease, from the `lease` frame to its outcome: PROTOCOL.md "Lease semantics".
 *
 * Effects are actors: `validateInput`, `runHandler` (the user's handler, its abort signal and its
 * classification into an outcome) and `postOutcome` (one ack or nack POST). The machine decides
 * which outcome is due, when to retry its POST, and when to give up.
 */
import { assign, fromCallback, sendParent, sendTo, setup } from 'xstate';
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
import {
  describe,
  isNotHeld,
  isTransientPostFailure,
  notProvided,
  retryAfterOf,
} from './shared.js';

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
  refusal?: Outcome;
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
  startedAt: number | undefined;
  /** How long the handler ran (until it settled or was given up on). */
  durationMs: number;
  outcome: Outcome | undefined;
  settlement: Settlement | undefined;
  /** Why the handler's signal fired, if it did. */
  abortReason: LeaseAbortReason | undefined;
  postAttempts: number;
  retryDelayMs: number;
  lastError: string | undefined;
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
  /** From the `runHandler` actor. */
  | { type: 'handler.settled'; outcome: Outcome };

/** What a lease tells its parent, the neuron. */
export type LeaseNotification =
  | { type: 'lease.queued'; leaseId: string }
  | { type: 'lease.slot-released'; leaseId: string }
  | {
      type: 'lease.settled';
      leaseId: string;
      taskId: string;
      capabilityType: string;
      settlement: Settlement;
      outcome?: Outcome;
      durationMs: number;
    }
  /** The outcome POST was refused for good (not 409/410): the neuron reports `error`. */
  | { type: 'lease.rejected'; leaseId: string; error: unknown };

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

const abortOutcome = (reason: 'shutdown' | 'revoked'): Outcome =>
  reason === 'shutdown'
    ? nack('retryable', 'the neuron is shutting down', 'SHUTDOWN')
    : nack('retryable', "the lease's capability was revoked", 'CAPABILITY_REVOKED');

const leaseSetup = setup({
  types: {
    input: {} as LeaseInput,
    context: {} as LeaseContext,
    events: {} as LeaseEvent,
  },
  actors: {
    /** Resolves with the validated input; rejects with `SchemaMismatchDetails` in `details`. */
    validateInput: notProvided<
      unknown,
      { leaseId: string; capabilityType: string; input: unknown }
    >('lease', 'validateInput'),
    /**
     * Runs the handler; sends back `handler.settled` with the classified outcome. Receives
     * `{ type: 'abort', reason }` to fire the handler's signal; aborts it on cleanup too.
     */
    runHandler: fromCallback<{ type: 'abort'; reason: LeaseAbortReason }, RunHandlerInput>(() => {
      throw new Error("lease actor 'runHandler' was not provided");
    }),
    /** One ack or nack POST. */
    postOutcome: notProvided<void, PostOutcomeInput>('lease', 'postOutcome'),
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
    notifySettled: sendParent(({ context }): LeaseNotification => {
      const settled: LeaseNotification = {
        type: 'lease.settled',
        leaseId: context.leaseId,
        taskId: context.taskId,
        capabilityType: context.capabilityType,
        settlement: context.settlement ?? 'delivered',
        durationMs: context.durationMs,
      };
      return context.outcome ? { ...settled, outcome: context.outcome } : settled;
    }),
    notifyRejected: sendParent(
      ({ context, event }): LeaseNotification => ({
        type: 'lease.rejected',
        leaseId: context.leaseId,
        error: (event as { error?: unknown }).error,
      }),
    ),
    /** Log that an outcome was dropped; supplied by the neuron. */
    warnDropped: () => {},
    abortHandler: sendTo('handler', ({ context }) => ({
      type: 'abort' as const,
      reason: context.abortReason ?? 'cancelled',
    })),
    recordRefusal: assign({ outcome: ({ context }) => context.refusal }),
    recordInput: assign({ input: ({ event }) => (event as { output?: unknown }).output }),
    recordInputMismatch: assign({
      outcome: ({ event }) => {
        const error = (event as { error?: unknown }).error;
        const details = (error as { details?: SchemaMismatchDetails } | undefined)?.details;
        if (details) {
          return {
            kind: 'nack' as const,
            nack: 'schema-mismatch' as const,
            reason: 'input does not match the capability schema',
            details,
          };
        }
        return nack('retryable', `input validation failed: ${describe(error)}`);
      },
    }),
    recordStart: assign({ startedAt: () => Date.now() }),
    recordHandlerEnd: assign({
      durationMs: ({ context }) =>
        context.startedAt === undefined ? 0 : Date.now() - context.startedAt,
    }),
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
    recordHandlerOutcome: assign({
      outcome: ({ event }) => (event.type === 'handler.settled' ? event.outcome : undefined),
    }),
    recordRenewal: assign({
      expiresAt: ({ context, event }) => {
        if (event.type === 'renewed') return event.expiresAt;
        if (event.type === 'heartbeat-accepted') return event.sentAt + context.ttlMs;
        return context.expiresAt;
      },
    }),
    recordPostFailure: assign(({ context, event }) => {
      const error = (event as { error?: unknown }).error;
      const postAttempts = context.postAttempts + 1;
      return {
        postAttempts,
        retryDelayMs: outcomeRetryDelay(postAttempts, retryAfterOf(error)),
        lastError: describe(error),
      };
    }),
    recordDelivered: assign({ settlement: 'delivered' as const }),
    recordNotHeld: assign({ settlement: 'not-held' as const }),
    recordExpired: assign({ settlement: 'expired' as const }),
    recordRejected: assign({ settlement: 'rejected' as const }),
  },
  guards: {
    refused: ({ context }) => context.refusal !== undefined,
    /** Its `expiresAt` had passed when it arrived: the gateway has already reclaimed it. */
    arrivedExpired: ({ context }) => context.expiresAt <= context.receivedAt,
    leaseLost: ({ context }) => context.settlement === 'lost',
    handlerAcked: ({ event }) => event.type === 'handler.settled' && event.outcome.kind === 'ack',
    /** 409/410 `LEASE_NOT_HELD`: never retried. */
    notHeld: ({ event }) => isNotHeld((event as { error?: unknown }).error),
    /** 401 here means the second 401 in a row: retried like a transient failure after re-auth. */
    transient: ({ event }) => isTransientPostFailure((event as { error?: unknown }).error),
    /** Transient, and the next try still lands before the lease expires. */
    retryable: ({ context, event }) => {
      const error = (event as { error?: unknown }).error;
      const retryAt = Date.now() + outcomeRetryDelay(context.postAttempts + 1, retryAfterOf(error));
      return isTransientPostFailure(error) && retryAt < context.expiresAt;
    },
  },
  delays: {
    cancelGrace: ({ context }) => context.cancelGraceMs,
    queueExpiry: ({ context }) => Math.max(0, context.expiresAt - Date.now()),
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
      invoke: {
        src: 'postOutcome',
        input: ({ context }) => postInput(context),
        onDone: { target: '#lease.settled', actions: 'recordDelivered' },
        onError: [
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
    validating: {
      invoke: {
        src: 'validateInput',
        input: ({ context }) => ({
          leaseId: context.leaseId,
          capabilityType: context.capabilityType,
          input: context.task.input,
        }),
        onDone: { target: 'queued', actions: 'recordInput' },
        onError: { target: 'nacking', actions: 'recordInputMismatch' },
      },
      on: {
        cancel: { target: 'nacking', actions: 'recordCancel' },
        abort: { target: 'nacking', actions: 'recordAbort' },
      },
    },
    /**
     * Waiting for a slot; not listed in heartbeats, so never renewed. A heartbeat answer may
     * still name it `lost` (the gateway reclaimed it): it then never runs, and posts nothing.
     */
    queued: {
      entry: 'notifyQueued',
      on: {
        start: 'executing',
        cancel: { target: 'nacking', actions: 'recordCancel' },
        abort: { target: 'nacking', actions: 'recordAbort' },
        lost: { target: 'lost', actions: 'recordLost' },
      },
      after: { queueExpiry: { target: 'expired' } },
    },
    executing: {
      entry: 'recordStart',
      exit: ['recordHandlerEnd', 'notifySlotReleased'],
      invoke: {
        id: 'handler',
        src: 'runHandler',
        input: ({ context }) => ({
          leaseId: context.leaseId,
          capabilityType: context.capabilityType,
          task: context.task,
          input: context.input,
        }),
      },
      initial: 'running',
      states: {
        running: {
          on: {
            'handler.settled': [
              { target: '#lease.acking', actions: 'recordHandlerOutcome', guard: 'handlerAcked' },
              { target: '#lease.nacking', actions: 'recordHandlerOutcome' },
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
      entry: ['recordExpired', 'notifySettled'],
    },
    lost: {
      type: 'final',
      entry: 'notifySettled',
    },
    settled: {
      type: 'final',
      entry: 'notifySettled',
    },
  },
});

function postInput(context: LeaseContext): PostOutcomeInput {
  return {
    leaseId: context.leaseId,
    taskId: context.taskId,
    capabilityType: context.capabilityType,
    outcome: context.outcome ?? nack('retryable', 'no outcome recorded'),
    durationMs: context.durationMs,
  };
}

export type LeaseMachine = typeof leaseMachine;
