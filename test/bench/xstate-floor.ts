/**
 * `node --expose-gc --import tsx test/bench/xstate-floor.ts [--quick]`: what XState itself costs,
 * measured alone, as the floor under anything built on it. No SDK code: the machines are defined
 * here, a minimal one (two states), a counter (one `assign`) and a lease-like one the size of
 * `machines/lease.ts` as it was before issue 16 (16 states, 17 context fields, `always`
 * transitions, delayed ones, three invoked actors), so the figures hold whatever the SDK's
 * machines become.
 *
 * Times are medians over rounds of many iterations, each round including the garbage it leaves
 * (the scavenges it triggers fall inside it). Bytes are the heap held per live actor, after two
 * full collections. One line per figure.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import {
  type ActorLogic,
  type AnyActorRef,
  assign,
  createActor,
  type EventObject,
  fromCallback,
  fromPromise,
  type Snapshot,
  sendTo,
  setup,
  toPromise,
} from 'xstate';
import { type LeaseInput, leaseMachine } from '../../machines/lease.js';
import { median } from './stats.js';

const exposedGc = (globalThis as { gc?: () => void }).gc;
if (!exposedGc) throw new Error('xstate-floor: run with node --expose-gc --import tsx');
// A const of its own: the check above does not narrow inside the (hoisted) functions below.
const gc: () => void = exposedGc;
const quick = process.argv.includes('--quick');
/** Iterations per round, rounds per figure, actors held per memory figure. */
const N = quick ? 2_000 : 20_000;
const ROUNDS = quick ? 3 : 7;
const HELD = quick ? 2_000 : 10_000;

// --- The machines -------------------------------------------------------------------------------

const minimal = setup({ types: { events: {} as { type: 'go' } } }).createMachine({
  initial: 'a',
  states: { a: { on: { go: 'b' } }, b: { on: { go: 'a' } } },
});

const counter = setup({
  types: { context: {} as { n: number }, events: {} as { type: 'inc' } },
}).createMachine({
  context: { n: 0 },
  on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
});

interface LeaseLikeInput {
  leaseId: string;
  taskId: string;
  input: unknown;
  expiresAt: number;
}

interface LeaseLikeContext {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  task: { taskId: string; input: unknown; attempt: number };
  receivedAt: number;
  expiresAt: number;
  ttlMs: number;
  cancelGraceMs: number;
  input: unknown;
  startedAt: number | undefined;
  durationMs: number;
  outcome: { kind: 'ack'; output: unknown } | { kind: 'nack'; reason: string } | undefined;
  settlement: 'delivered' | 'expired' | 'lost' | 'rejected' | undefined;
  abortReason: string | undefined;
  postAttempts: number;
  retryDelayMs: number;
  lastError: string | undefined;
}

type LeaseLikeEvent =
  | { type: 'start' }
  | { type: 'cancel' }
  | { type: 'lost' }
  | { type: 'renewed'; expiresAt: number }
  | { type: 'handler.settled'; output: unknown };

const leaseLikeSetup = setup({
  types: {
    input: {} as LeaseLikeInput,
    context: {} as LeaseLikeContext,
    events: {} as LeaseLikeEvent,
  },
  actors: {
    validate: fromPromise<unknown, unknown>(async ({ input }) => input),
    /** Settles on a later microtask, as an async handler that returns at once. */
    handler: fromCallback<{ type: 'abort' }, unknown>(({ sendBack, input }) => {
      void Promise.resolve(input).then((output) =>
        sendBack({ type: 'handler.settled', output } satisfies LeaseLikeEvent),
      );
    }),
    post: fromPromise<void, unknown>(async () => {}),
  },
  actions: {
    // The SDK's neuron answers `lease.queued` with `start` in a macrostep of its own: so here.
    startSelf: sendTo(({ self }) => self, { type: 'start' } as const),
    recordInput: assign({ input: ({ event }) => (event as { output?: unknown }).output }),
    recordStart: assign({ startedAt: () => Date.now() }),
    recordEnd: assign({
      durationMs: ({ context }) => (context.startedAt ? Date.now() - context.startedAt : 0),
    }),
    recordOutcome: assign({
      outcome: ({ event }) =>
        event.type === 'handler.settled'
          ? { kind: 'ack' as const, output: event.output }
          : { kind: 'nack' as const, reason: event.type },
    }),
    recordRenewal: assign({
      expiresAt: ({ context, event }) =>
        event.type === 'renewed' ? event.expiresAt : context.expiresAt,
    }),
    recordLost: assign({ abortReason: 'lost', settlement: 'lost' as const }),
    recordDelivered: assign({ settlement: 'delivered' as const }),
    recordExpired: assign({ settlement: 'expired' as const }),
    recordPostFailure: assign(({ context, event }) => ({
      postAttempts: context.postAttempts + 1,
      retryDelayMs: 500 * 2 ** context.postAttempts,
      lastError: String((event as { error?: unknown }).error),
    })),
  },
  guards: {
    arrivedExpired: ({ context }) => context.expiresAt <= context.receivedAt,
    leaseLost: ({ context }) => context.settlement === 'lost',
  },
  delays: {
    queueExpiry: ({ context }) => Math.max(0, context.expiresAt - Date.now()),
    cancelGrace: ({ context }) => context.cancelGraceMs,
    outcomeRetry: ({ context }) => context.retryDelayMs,
  },
});

const delivering = leaseLikeSetup.createStateConfig({
  initial: 'posting',
  on: { lost: { target: '#lease.lost', actions: 'recordLost' } },
  states: {
    posting: {
      invoke: {
        src: 'post',
        onDone: { target: '#lease.settled', actions: 'recordDelivered' },
        onError: { target: 'retrying', actions: 'recordPostFailure' },
      },
    },
    retrying: { after: { outcomeRetry: 'posting' } },
  },
});

const leaseLike = leaseLikeSetup.createMachine({
  id: 'lease',
  context: ({ input }) => ({
    leaseId: input.leaseId,
    taskId: input.taskId,
    capabilityType: 'floor/noop',
    task: { taskId: input.taskId, input: input.input, attempt: 1 },
    receivedAt: Date.now(),
    expiresAt: input.expiresAt,
    ttlMs: Math.max(0, input.expiresAt - Date.now()),
    cancelGraceMs: 5_000,
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
  on: { renewed: { actions: 'recordRenewal' } },
  states: {
    received: {
      always: [{ guard: 'arrivedExpired', target: 'expired' }, { target: 'validating' }],
    },
    validating: {
      invoke: {
        src: 'validate',
        input: ({ context }: { context: LeaseLikeContext }) => context.task.input,
        onDone: { target: 'queued', actions: 'recordInput' },
        onError: { target: 'nacking', actions: 'recordOutcome' },
      },
      on: { cancel: { target: 'nacking', actions: 'recordOutcome' } },
    },
    queued: {
      entry: 'startSelf',
      on: {
        start: 'executing',
        cancel: { target: 'nacking', actions: 'recordOutcome' },
        lost: { target: 'lost', actions: 'recordLost' },
      },
      after: { queueExpiry: 'expired' },
    },
    executing: {
      entry: 'recordStart',
      exit: 'recordEnd',
      invoke: {
        id: 'handler',
        src: 'handler',
        input: ({ context }: { context: LeaseLikeContext }) => context.input,
      },
      initial: 'running',
      states: {
        running: {
          on: {
            'handler.settled': { target: '#lease.acking', actions: 'recordOutcome' },
            cancel: { target: 'cancelling', actions: 'recordOutcome' },
            lost: { target: 'aborting', actions: 'recordLost' },
          },
        },
        cancelling: {
          on: { 'handler.settled': '#lease.nacking' },
          after: { cancelGrace: '#lease.nacking' },
        },
        aborting: {
          always: [{ guard: 'leaseLost', target: '#lease.lost' }, { target: '#lease.nacking' }],
        },
      },
    },
    acking: delivering,
    nacking: delivering,
    expired: { type: 'final', entry: 'recordExpired' },
    lost: { type: 'final' },
    settled: { type: 'final' },
  },
});

/** The lease-like machine parked in `executing`: its handler never settles. */
const leaseLikeParked = leaseLike.provide({ actors: { handler: fromCallback(() => {}) } });

const expiresAt = Date.now() + 600_000;
const leaseInput = (i: number): LeaseLikeInput => ({
  leaseId: `l-${i}`,
  taskId: `t-${i}`,
  input: { i },
  expiresAt,
});

/**
 * The SDK's own lease machine (`machines/lease.ts`) with effects that do nothing: a handler that
 * acks on a microtask and an outcome POST that succeeds on the next one, both in the machine's
 * actions, as the SDK provides them. Its
 * cost is XState's plus the machine's own actions: the floor of one lease in this design,
 * without the pool, the transport or the telemetry.
 */
const sdkLease = leaseMachine.provide({
  actions: {
    startHandler: ({ self }) => {
      queueMicrotask(() =>
        self.send({ type: 'handler.settled', outcome: { kind: 'ack', output: null } }),
      );
    },
    postOutcome: ({ self }) => {
      queueMicrotask(() => self.send({ type: 'outcome.delivered' }));
    },
  },
});
const sdkLeaseParked = leaseMachine.provide({ actions: { startHandler: () => {} } });
const sdkLeaseInput = (i: number): LeaseInput => ({
  frame: {
    type: 'lease',
    leaseId: `l-${i}`,
    capabilityType: 'bench/noop',
    task: { taskId: `t-${i}`, input: { i } },
  },
  receivedAt: Date.now(),
  expiresAt,
  cancelGraceMs: 5_000,
});

/**
 * A parent for child actors, as the SDK's lease pool is to its leases: it ignores what it gets,
 * and lends its scope's `stopChild`, since xstate lets only the parent stop a child.
 */
let stopChild: (child: AnyActorRef) => void = () => {};
const parentLogic: ActorLogic<Snapshot<undefined>, EventObject> = {
  getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
  transition: (snapshot) => snapshot,
  getPersistedSnapshot: (snapshot) => snapshot,
  start: (_snapshot, scope) => {
    stopChild = (child) => scope.stopChild(child);
  },
};
const parent = createActor(parentLogic).start();

// --- Measuring ----------------------------------------------------------------------------------

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * µs per call of each of `fns`: the median of its rounds, after one round of warm-up. The rounds
 * of several calls are interleaved, so that load and collector drift fall on all alike. Between
 * rounds (untimed) the event loop turns, so what the calls left for later (a lease-like actor's
 * validation, on a microtask) runs there rather than piling up.
 */
async function timeInterleaved(fns: ((i: number) => void)[], n = N): Promise<number[]> {
  const perRound: number[][] = fns.map(() => []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn(i);
      if (round > 0) perRound[k]!.push(((performance.now() - t0) * 1000) / n);
      await nextTurn();
    }
  }
  return perRound.map(median);
}

/** µs per call of `fn` (see `timeInterleaved`). */
async function timeSync(fn: (i: number) => void, n = N): Promise<number> {
  const [us] = await timeInterleaved([fn], n);
  return us!;
}

/** µs per awaited call of `fn`, one at a time. */
async function timeAsync(fn: (i: number) => Promise<unknown>, n = N): Promise<number> {
  const perRound: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    const us = ((performance.now() - t0) * 1000) / n;
    if (round > 0) perRound.push(us);
  }
  return median(perRound);
}

/** Bytes of heap per actor held (each made by `make`, stopped afterwards). */
async function bytesPerActor(
  make: (i: number) => AnyActorRef,
  settle: () => Promise<void> = async () => {},
): Promise<number> {
  const held: AnyActorRef[] = new Array(HELD).fill(parent);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < HELD; i++) held[i] = make(i);
  await settle();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  for (const actor of held) {
    if (actor._parent) stopChild(actor);
    else actor.stop();
  }
  return (after - before) / HELD;
}

const us = (label: string, value: number): void => console.log(`${label}: ${value.toFixed(2)} µs`);
const bytes = (label: string, value: number): void =>
  console.log(`${label}: ${Math.round(value).toLocaleString('en-US')} B`);

const { version } = createRequire(import.meta.url)('xstate/package.json') as { version: string };
console.log(
  `xstate floor: xstate ${version}, Node ${process.version}, ${N} iterations × ${ROUNDS} rounds ` +
    `(median), ${HELD} actors held for bytes`,
);

// Actor creation.
// A root actor makes a system of its own; a child (given a `parent`, as the SDK's leases are)
// joins its parent's, which holds it until it stops: so children are stopped as they go.
us('minimal machine: createActor().start()', await timeSync(() => createActor(minimal).start()));
us(
  'minimal machine: createActor().start().stop()',
  await timeSync(() => createActor(minimal).start().stop()),
);
us(
  'minimal machine: createActor(, { parent }).start(), stopped by its parent (a child)',
  await timeSync(() => stopChild(createActor(minimal, { parent }).start())),
);
us('minimal machine: createActor() alone (no start)', await timeSync(() => createActor(minimal)));
us(
  'lease-like machine: createActor().start() (initial macrostep, always, validation invoked)',
  await timeSync((i) => createActor(leaseLike, { input: leaseInput(i) }).start(), N / 4),
);
us(
  'lease-like machine: a whole no-op lease as a child (4 actors, 5 macrosteps, a timer), one at a time',
  await timeAsync((i) =>
    toPromise(createActor(leaseLike, { parent, input: leaseInput(i) }).start()),
  ),
);

us(
  "the SDK's lease machine: a whole no-op lease as a child (1 actor, 4 macrosteps), one at a time",
  await timeAsync((i) => {
    const lease = createActor(sdkLease, { parent, input: sdkLeaseInput(i) }).start();
    lease.send({ type: 'start' });
    return toPromise(lease);
  }),
);

// Macrosteps.
const toggler = createActor(minimal).start();
us(
  'macrostep: send() taking one transition (a → b)',
  await timeSync(() => toggler.send({ type: 'go' })),
);
const incrementer = createActor(counter).start();
us(
  'macrostep: send() taking one transition with an assign',
  await timeSync(() => incrementer.send({ type: 'inc' })),
);
const parked = createActor(leaseLikeParked, { input: leaseInput(0) }).start();
await nextTurn();
us(
  'macrostep: send() with a root-level assign to the lease-like machine (17-field context, parked in executing)',
  await timeSync((i) => parked.send({ type: 'renewed', expiresAt: expiresAt + i })),
);

// Effect actors, standalone and invoked. Each logic is made once, as the SDK's are.
const resolved = fromPromise(async () => 1);
const pending = fromPromise(() => new Promise<never>(() => {}));
const bareLogic = fromCallback(() => () => {});
us(
  'fromPromise: actor created, started and resolved (toPromise awaited), one at a time',
  await timeAsync(() => toPromise(createActor(resolved, { parent }).start())),
);
us(
  'fromCallback: actor created, started and stopped',
  await timeSync(() => stopChild(createActor(bareLogic, { parent }).start())),
);
let wake: () => void = () => {};
const invoker = setup({
  types: { events: {} as { type: 'go' } | { type: 'done' } },
  actors: {
    work: fromPromise(async () => 1),
    callback: fromCallback(({ sendBack }) => {
      void Promise.resolve().then(() => sendBack({ type: 'done' }));
    }),
  },
  actions: { wake: () => wake() },
}).createMachine({
  initial: 'idle',
  states: {
    idle: { entry: 'wake', on: { go: 'promising' } },
    promising: { invoke: { src: 'work', onDone: 'between' } },
    between: { entry: 'wake', on: { go: 'calling' } },
    calling: { invoke: { src: 'callback' }, on: { done: 'idle' } },
  },
});
const invoking = createActor(invoker).start();
const roundTrip = (): Promise<void> =>
  new Promise<void>((resolve) => {
    wake = resolve;
    invoking.send({ type: 'go' });
  });
us(
  'invoked fromPromise + invoked fromCallback: both round trips (4 macrosteps, 2 actors), per pair',
  await timeAsync(async () => {
    await roundTrip();
    await roundTrip();
  }),
);

// The options spread in Actor's constructor, `{ ...defaultOptions, ...options }`: timed alone,
// with objects shaped as xstate's defaults and as the lease pool's options (built beforehand, so
// only the spread is timed), then the constructor of a child with and without those options. A
// root actor (no `parent`) also makes a system of its own, so children are compared.
const defaults = {
  clock: { setTimeout, clearTimeout },
  logger: console.log.bind(console),
  devTools: false,
};
const poolOptions = Array.from({ length: N }, (_, i) => ({
  id: `l-${i}`,
  parent,
  input: leaseInput(i),
}));
const parentOnly = { parent };
/** One spread site for every shape, as in xstate's constructor. */
const merge = (options?: object): object => ({ ...defaults, ...options });
/** Results land here, so that V8 cannot drop the timed calls as dead code (read once, below). */
let sink: unknown;
// Sub-microsecond differences, so the rounds are interleaved. V8 (11.x, Node 20) copies a second
// spread in an object literal through a generic runtime path, with no inline cache:
// Object.assign shows what that path costs.
const spreadAndConstructor: [string, (i: number) => void][] = [
  [
    'options spread alone: { ...defaultOptions, ...{ id, parent, input } }',
    (i) => {
      sink = merge(poolOptions[i]);
    },
  ],
  [
    'options spread alone: { ...defaultOptions, ...{ parent } }',
    () => {
      sink = merge(parentOnly);
    },
  ],
  [
    'options spread alone: { ...defaultOptions, ...undefined } (createActor without options)',
    () => {
      sink = merge(undefined);
    },
  ],
  [
    'the same merge by Object.assign({}, defaultOptions, { id, parent, input })',
    (i) => {
      sink = Object.assign({}, defaults, poolOptions[i]);
    },
  ],
  [
    'constructor of a child: createActor(fromCallback logic, { parent })',
    () => {
      sink = createActor(bareLogic, parentOnly);
    },
  ],
  [
    'constructor of a child: createActor(fromCallback logic, { id, parent, input }), as the pool calls it',
    (i) => {
      sink = createActor(bareLogic, poolOptions[i]);
    },
  ],
  [
    'constructor of a root: createActor(fromCallback logic), no options (a system of its own)',
    () => {
      sink = createActor(bareLogic);
    },
  ],
];
const medians = await timeInterleaved(spreadAndConstructor.map(([, fn]) => fn));
for (const [k, [label]] of spreadAndConstructor.entries()) us(label, medians[k]!);
void sink;

// Bytes per live actor.
bytes(
  'heap per minimal machine actor, started (root, with its own system)',
  await bytesPerActor(() => createActor(minimal).start()),
);
bytes(
  'heap per minimal machine actor, started as a child',
  await bytesPerActor(() => createActor(minimal, { parent }).start()),
);
bytes(
  'heap per fromCallback actor, started as a child',
  await bytesPerActor(() => createActor(bareLogic, { parent }).start()),
);
bytes(
  'heap per fromPromise actor, pending, as a child',
  await bytesPerActor(() => createActor(pending, { parent }).start()),
);
bytes(
  'heap per lease-like actor parked in executing (with its handler actor), as a child',
  await bytesPerActor(
    (i) => createActor(leaseLikeParked, { parent, input: leaseInput(i) }).start(),
    nextTurn,
  ),
);

bytes(
  'heap per SDK lease actor parked in executing (its handler runs in actions), as a child',
  await bytesPerActor((i) => {
    const lease = createActor(sdkLeaseParked, { parent, input: sdkLeaseInput(i) }).start();
    lease.send({ type: 'start' });
    return lease;
  }, nextTurn),
);

parked.stop();
toggler.stop();
incrementer.stop();
invoking.stop();
parent.stop();
