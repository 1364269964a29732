/**
 * A neuron process of the bench: `node --expose-gc --import tsx neuron-process.ts sdk|raw [sdk]`.
 * The orchestrator connects a fresh client per round over IPC; between rounds the process stays
 * up (both kinds are equally warm). Heartbeat POSTs are timed through undici's diagnostics
 * channels, which both clients go through. The SDK is loaded from the module named by the third
 * argument: the package as built (`dist/src/index.js`), or its source through tsx.
 */
import { subscribe } from 'node:diagnostics_channel';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import type * as Sdk from '../../src/index.js';
import { serve } from './ipc.js';
import { RawNeuron } from './raw-neuron.js';
import {
  type HandlerMode,
  NOOP_TYPE,
  ORDER_TYPE,
  orderInputSchema,
  orderInputZod,
  orderOutputSchema,
  orderOutputZod,
  priceOrder,
  workloadOf,
} from './workload.js';

const kind = process.argv[2];
if (kind !== 'sdk' && kind !== 'raw') throw new Error('usage: neuron-process.ts sdk|raw [sdk]');
const { defineCapability, Neuron }: typeof Sdk = await import(
  process.argv[3] ?? '../../src/index.js'
);

export interface ConnectArgs {
  url: string;
  neuronId: string;
  mode: HandlerMode;
  concurrency: number;
  initialReconnectDelayMs?: number;
}

export interface MemoryFigure {
  heapUsed: number;
  rss: number;
}

interface Client {
  stop(): Promise<void>;
}

let client: Client | undefined;
/** Parked handlers wait on this gate until `release`. */
let gate: { promise: Promise<void>; open: () => void } = newGate();
let parked = 0;
let parkedWaiter: { n: number; resolve: () => void } | undefined;

function newGate() {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function park(): Promise<null> {
  parked += 1;
  if (parkedWaiter && parked >= parkedWaiter.n) parkedWaiter.resolve();
  await gate.promise;
  return null;
}

function handlerOf(mode: HandlerMode): (input: unknown) => unknown {
  if (mode === 'park') return park;
  if (mode === 'noop' || mode === 'flood') return () => null;
  return priceOrder;
}

// Heartbeat POSTs: from the request's creation to its answer's headers.
const heartbeatStarts = new WeakMap<object, number>();
let heartbeatTimes: number[] = [];
subscribe('undici:request:create', (message) => {
  const { request } = message as { request: { path: string } };
  if (request.path.endsWith('/neuron/heartbeat')) heartbeatStarts.set(request, performance.now());
});
subscribe('undici:request:headers', (message) => {
  const { request } = message as { request: object };
  const start = heartbeatStarts.get(request);
  if (start !== undefined) heartbeatTimes.push(performance.now() - start);
});
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

function memory(): MemoryFigure {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('neuron process: run with --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
}

async function connectSdk(args: ConnectArgs): Promise<Client> {
  const neuron = new Neuron({
    gatewayUrl: args.url,
    neuronId: args.neuronId,
    auth: () => 'bench',
    ...(args.initialReconnectDelayMs && { initialReconnectDelayMs: args.initialReconnectDelayMs }),
  });
  const handler = handlerOf(args.mode);
  if (args.mode === 'ajv') {
    neuron.handle(
      {
        type: ORDER_TYPE,
        scope: 'any',
        concurrency: args.concurrency,
        inputSchema: orderInputSchema,
        outputSchema: orderOutputSchema,
      },
      handler,
    );
  } else if (args.mode === 'zod') {
    const capability = defineCapability({
      type: ORDER_TYPE,
      input: orderInputZod,
      output: orderOutputZod,
      concurrency: args.concurrency,
    });
    neuron.handle(capability, handler as never);
  } else {
    neuron.handle({ type: NOOP_TYPE, scope: 'any', concurrency: args.concurrency }, handler);
  }
  const registered = new Promise<void>((resolve) =>
    neuron.once('connection:registered', () => resolve()),
  );
  await neuron.start();
  await registered;
  return { stop: () => neuron.stop({ drain: false, timeoutMs: 0 }) };
}

async function connectRaw(args: ConnectArgs): Promise<Client> {
  const raw = new RawNeuron({
    gatewayUrl: args.url,
    neuronId: args.neuronId,
    capabilityType: workloadOf(args.mode).capabilityType,
    concurrency: args.concurrency,
    handler: handlerOf(args.mode),
    ...(args.initialReconnectDelayMs && { initialReconnectDelayMs: args.initialReconnectDelayMs }),
  });
  await raw.start();
  return raw;
}

serve({
  async connect(args: ConnectArgs) {
    if (client) await client.stop();
    gate = newGate();
    parked = 0;
    client = await (kind === 'sdk' ? connectSdk(args) : connectRaw(args));
    return { pid: process.pid };
  },
  async stop() {
    const current = client;
    client = undefined;
    gate.open();
    await current?.stop();
    // Collect this round's garbage now, not while the other client runs on the same core.
    memory();
    return {};
  },
  /** Heap and RSS after two full collections. */
  memory: () => memory(),
  /**
   * The CPU time this process has used so far (user + system, µs): all its threads, so the
   * garbage collector's helpers count too. The orchestrator reads it around a scenario.
   */
  cpu() {
    const { user, system } = process.cpuUsage();
    return { us: user + system };
  },
  /** What holding `n` parsed copies of a lease frame costs: the payload, for comparison. */
  payload({ n, frame }: { n: number; frame: string }) {
    const before = memory();
    const held = Array.from({ length: n }, () => JSON.parse(frame));
    const after = memory();
    held.length = 0;
    return { bytesPerLease: (after.heapUsed - before.heapUsed) / n };
  },
  /** Resolves once `n` handlers are parked; starts recording heartbeats and loop delay. */
  async waitParked({ n }: { n: number }) {
    if (parked < n) {
      await new Promise<void>((resolve) => {
        parkedWaiter = { n, resolve };
      });
    }
    parkedWaiter = undefined;
    heartbeatTimes = [];
    loopDelay.reset();
    loopDelay.enable();
    return {};
  },
  /** Heartbeat round trips since `waitParked`, and the worst event-loop delay meanwhile. */
  async heartbeats() {
    // The histogram records a stall on its next timer tick; this call may have been read in the
    // same loop turn that ended the stall (before any timer ran), so give it that tick first.
    await new Promise((resolve) => setTimeout(resolve, 15));
    loopDelay.disable();
    return { times: heartbeatTimes, loopDelayMaxMs: loopDelay.max / 1e6 };
  },
  release() {
    gate.open();
    return {};
  },
  heapSnapshot({ dir }: { dir: string }) {
    return { file: writeHeapSnapshot(`${dir}/${kind}-${Date.now()}.heapsnapshot`) };
  },
});
