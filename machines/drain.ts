/**
 * Graceful shutdown, PROTOCOL.md `neuron.stop({ drain = true, timeoutMs = 30000 })`, one state per
 * step. The neuron does what each step asks (it owns the leases) and reports back `leases.idle`
 * once no lease is left unsettled; `closeTransport` is the effect of step 4.
 */
import { fromPromise, sendParent, setup } from 'xstate';

export interface DrainInput {
  /** Wait for running handlers (step 2) before aborting them. @default true */
  drain: boolean;
  /** How long step 2 may take. @default 30_000 */
  timeoutMs: number;
  /** How long step 3 waits for the `SHUTDOWN` nacks to be delivered. */
  abortGraceMs: number;
}

/** The input, kept as it is. */
export type DrainContext = DrainInput;

export type DrainEvent = { type: 'leases.idle' };

/** What the drain asks of its parent, the neuron. */
export type DrainRequest =
  /** Step 1: refuse new leases, nack every queued lease `retryable` / `SHUTDOWN`. */
  | { type: 'drain.refuse-leases' }
  /** Step 3: abort what still runs and nack it `retryable` / `SHUTDOWN`. */
  | { type: 'drain.abort-running' }
  /** Step 4: stop heartbeats and the connection. */
  | { type: 'drain.close' };

export const drainMachine = setup({
  types: {
    input: {} as DrainInput,
    context: {} as DrainContext,
    events: {} as DrainEvent,
  },
  actors: {
    /** Close the SSE stream and the HTTP pool. */
    closeTransport: fromPromise<void>(() => Promise.resolve()),
  },
  actions: {
    refuseLeases: sendParent({ type: 'drain.refuse-leases' } satisfies DrainRequest),
    abortRunning: sendParent({ type: 'drain.abort-running' } satisfies DrainRequest),
    close: sendParent({ type: 'drain.close' } satisfies DrainRequest),
  },
  guards: {
    drain: ({ context }) => context.drain,
  },
  delays: {
    drainTimeout: ({ context }) => context.timeoutMs,
    abortGrace: ({ context }) => context.abortGraceMs,
  },
}).createMachine({
  id: 'drain',
  context: ({ input }) => ({ ...input }),
  initial: 'refusing-leases',
  states: {
    /** Step 1. */
    'refusing-leases': {
      entry: 'refuseLeases',
      always: [{ guard: 'drain', target: 'waiting-for-handlers' }, { target: 'aborting' }],
    },
    /** Step 2: running handlers settle and their outcomes are posted, up to `timeoutMs`. */
    'waiting-for-handlers': {
      on: { 'leases.idle': 'closing' },
      after: { drainTimeout: 'aborting' },
    },
    /** Step 3. */
    aborting: {
      entry: 'abortRunning',
      on: { 'leases.idle': 'closing' },
      after: { abortGrace: 'closing' },
    },
    /** Step 4. */
    closing: {
      entry: 'close',
      invoke: {
        src: 'closeTransport',
        onDone: 'closed',
        onError: 'closed',
      },
    },
    closed: { type: 'final' },
  },
});

export type DrainMachine = typeof drainMachine;
