/**
 * The protocol scenarios drawn as sequence diagrams: each one runs the real `Neuron` (real
 * `HttpTransport`, real machines) against the reference gateway over loopback, and is recorded
 * by `recorder.ts`. Whatever a scenario waits for, it waits for an event, never a clock, so the
 * recording is the same every run; heartbeats are too slow to occur (an hour apart).
 */

import type { CapabilityRegistration } from '../capability/registration.js';
import { createDevGateway, type DevGateway, type DevGatewayOptions } from '../dev-gateway/index.js';
import type { Handler, HandlerContext } from '../neuron/context.js';
import type { NeuronEventMap } from '../neuron/events.js';
import type { StopOptions } from '../neuron/neuron.js';
import { Neuron } from '../neuron/neuron.js';
import { createRecorder } from './recorder.js';
import { toSequenceDiagram } from './sequence.js';

const NEURON_ID = 'neuron-1';
const TOKEN = 'dev-token';
const UPPER: CapabilityRegistration = { type: 'examples/upper', scope: 'any', concurrency: 1 };
const HOUR = 3_600_000;
/** A scenario that takes longer than this is stuck: it fails instead of hanging. */
const SCENARIO_TIMEOUT_MS = 10_000;

interface ScenarioContext {
  gw: DevGateway;
  neuron: Neuron;
  /** A remark about the neuron's side (`handler running`), drawn over it. */
  note(text: string): void;
  /** A call through the gateway's test API (`cancelTask`), drawn as the gateway's self-message. */
  drive(text: string): void;
  /** Registers `handler` for `examples/upper`, starts the neuron, waits until it is registered. */
  start(
    handler: Handler<{ text: string }, unknown>,
    capability?: CapabilityRegistration,
  ): Promise<void>;
  /** `neuron.stop(options)`, then waits for the gateway to see the stream close. */
  stop(options?: StopOptions): Promise<void>;
  /** The next `event` the neuron emits (matching `predicate`). */
  next<E extends keyof NeuronEventMap>(
    event: E,
    predicate?: (...args: NeuronEventMap[E]) => boolean,
  ): Promise<NeuronEventMap[E]>;
}

export interface Scenario {
  name: string;
  title: string;
  /** Draw which bearer token each request carried (by ordinal). */
  showTokens?: boolean;
  gateway?: DevGatewayOptions;
  auth?: () => string;
  run(ctx: ScenarioContext): Promise<void>;
}

export const scenarios: readonly Scenario[] = [
  {
    name: 'register',
    title: 'Connect and register, then stop',
    run: startThenStop,
  },
  {
    name: 'lease-progress-ack',
    title: 'A lease: progress, then ack',
    async run(scenario) {
      const { gw, start } = scenario;
      await start(async (input, ctx) => {
        const received = gw.waitFor('progress');
        ctx.progress({ percent: 50, message: 'halfway' });
        await received;
        return upper(input);
      });
      await settleThenStop(scenario, { text: 'hello' });
    },
  },
  {
    name: 'schema-mismatch',
    title: 'Input that fails the capability schema: nack, the handler never runs',
    async run(scenario) {
      const inputSchema = {
        type: 'object',
        properties: { text: { type: 'string' } },
        required: ['text'],
      };
      await scenario.start(
        () => {
          throw new Error('never called: the input fails the schema');
        },
        { ...UPPER, inputSchema },
      );
      await settleThenStop(scenario, { text: 42 });
    },
  },
  {
    name: 'cancel',
    title: 'The gateway cancels a running lease',
    async run({ gw, note, drive, start, stop, next }) {
      const started = deferred();
      await start(async (_input, ctx) => {
        started.resolve();
        await aborted(ctx);
        return null;
      });
      const settled = next('lease:settled');
      const task = submit(gw, drive, { text: 'hello' });
      await started.promise;
      note('handler running');
      drive(`cancelTask(${task.taskId})`);
      gw.cancelTask(task.taskId, 'the user gave up');
      await settled;
      await stop();
    },
  },
  {
    name: 'reconnect',
    title: 'A network drop: reconnect with Last-Event-ID, the missed cancel is replayed',
    async run({ gw, neuron, drive, start, stop, next }) {
      const started = deferred();
      let registrations = 0;
      const reRegistered = deferred();
      neuron.on('connection:registered', () => {
        if (++registrations === 2) reRegistered.resolve();
      });
      await start(async (_input, ctx) => {
        started.resolve();
        await aborted(ctx);
        // Settle once the neuron is registered again, so the nack follows the re-registration.
        await reRegistered.promise;
        return null;
      });
      const settled = next('lease:settled');
      const task = submit(gw, drive, { text: 'hello' });
      await started.promise;
      drive('dropStream() · the socket dies');
      gw.dropStream(NEURON_ID);
      drive(`cancelTask(${task.taskId})`);
      gw.cancelTask(task.taskId, 'no longer needed');
      await settled;
      await stop();
    },
  },
  {
    name: 'auth-refresh',
    title: 'A 401 on the stream and on a POST: auth() is called again, the request retried once',
    showTokens: true,
    gateway: { acceptToken: (token) => token === 'fresh' },
    auth: tokens(['expired-1', 'fresh', 'expired-2'], 'fresh'),
    run: startThenStop,
  },
  {
    name: 'drain',
    title: 'Graceful stop: running handlers finish until the drain timeout, the rest are nacked',
    async run({ gw, note, drive, start, stop }) {
      const running = [deferred(), deferred()];
      const release = deferred();
      await start(
        async (input, ctx) => {
          if (input.text === 'quick') {
            running[0]?.resolve();
            await release.promise;
            return { text: 'QUICK' };
          }
          running[1]?.resolve();
          await aborted(ctx);
          note('drain timeout · the handler is aborted (shutdown)');
          throw ctx.signal.reason;
        },
        { ...UPPER, concurrency: 2 },
      );
      submit(gw, drive, { text: 'quick' });
      submit(gw, drive, { text: 'slow' });
      await Promise.all(running.map((r) => r.promise));
      const stopped = stop({ drain: true, timeoutMs: 100 });
      release.resolve();
      await stopped;
    },
  },
];

/** Runs one scenario end to end and returns its sequence diagram. */
export async function recordScenario(scenario: Scenario): Promise<string> {
  const gw = await createDevGateway({
    token: TOKEN,
    pingIntervalMs: HOUR,
    ...scenario.gateway,
  });
  const recorder = createRecorder(gw, NEURON_ID);
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: NEURON_ID,
    auth: scenario.auth ?? (() => TOKEN),
    dispatcher: recorder.dispatcher,
    heartbeatIntervalMs: HOUR,
    initialReconnectDelayMs: 5,
    maxReconnectDelayMs: 20,
  });
  // Some scenarios provoke errors (a 401); what the gateway saw is the diagram.
  neuron.on('error', () => {});
  const next: ScenarioContext['next'] = (event, predicate) =>
    new Promise((resolve) => {
      const off = neuron.on(event, ((...args: NeuronEventMap[typeof event]) => {
        if (predicate && !predicate(...args)) return;
        off();
        resolve(args);
      }) as never);
    });
  const ctx: ScenarioContext = {
    gw,
    neuron,
    note: (text) => recorder.note(text, 'Neuron'),
    drive: (text) => recorder.step(`gw.${text}`, 'Gateway'),
    async start(handler, capability = UPPER) {
      neuron.handle(capability, handler as Handler<never, unknown>);
      const registered = next('connection:registered');
      recorder.step('neuron.start()', 'Neuron');
      await neuron.start();
      await registered;
    },
    async stop(options) {
      recorder.step(`neuron.stop(${options ? literal(options) : ''})`, 'Neuron');
      const closed = gw.waitFor('stream:close', (e) => e.neuronId === NEURON_ID);
      await neuron.stop(options);
      await closed;
    },
    next,
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      scenario.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`scenario ${scenario.name} took over ${SCENARIO_TIMEOUT_MS} ms`)),
          SCENARIO_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await neuron.stop({ drain: false });
    await recorder.close();
    await gw.close();
  }
  return toSequenceDiagram(recorder.entries, {
    title: scenario.title,
    ...(scenario.showTokens ? { showTokens: true } : {}),
  });
}

/** `{ drain: true, timeoutMs: 100 }` */
function literal(object: object): string {
  const fields = Object.entries(object).map(([key, value]) => `${key}: ${String(value)}`);
  return `{ ${fields.join(', ')} }`;
}

const upper = (input: { text: string }) => ({ text: input.text.toUpperCase() });

/** Starts the neuron serving `examples/upper`, then stops it. */
async function startThenStop({ start, stop }: ScenarioContext): Promise<void> {
  await start(upper);
  await stop();
}

/** Submits one task, waits for the neuron to settle its lease, then stops the neuron. */
async function settleThenStop(
  { gw, drive, next, stop }: ScenarioContext,
  input: unknown,
): Promise<void> {
  const settled = next('lease:settled');
  submit(gw, drive, input);
  await settled;
  await stop();
}

/** Submits a task for `examples/upper` and notes it over the gateway. */
function submit(gw: DevGateway, drive: (text: string) => void, input: unknown) {
  const task = gw.submitTask({ capabilityType: UPPER.type, input });
  drive(`submitTask() · ${task.taskId}`);
  return task;
}

/** An `auth` callback returning `first` in order, then `rest` for ever. */
function tokens(first: string[], rest: string): () => string {
  let calls = 0;
  return () => first[calls++] ?? rest;
}

function aborted(ctx: HandlerContext): Promise<void> {
  return new Promise((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
