/**
 * `npx tsx test/bench/micro.ts [n] [concurrency] [--park]`: the SDK's own CPU cost per lease,
 * in-process, without HTTP — a `Neuron` over a transport whose every POST succeeds at once and
 * which pushes a new lease frame for each outcome posted (like a gateway at that concurrency).
 * `--dist` runs the package as built (`npm run build` first) instead of its source through tsx.
 * With `--park`, `n` leases are pushed at once into handlers that never settle until released,
 * and the heap per in-flight lease is printed (run with --expose-gc; `--heap-snapshots` writes
 * one before and one at full load, into the working directory). For profiling the SDK's
 * hot path in isolation: `node --cpu-prof --import tsx test/bench/micro.ts`. With `--latency`,
 * one lease every 5 ms, one at a time: p50/p99 from the lease frame handed over to its ack POST.
 */
import { performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import type * as Sdk from '../../src/index.js';
import type { InboundFrame } from '../../src/protocol/frames.js';
import type { Transport, TransportCallbacks } from '../../src/transport/types.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
// `--dist`: the package as built (`npm run build` first), as the full bench runs it.
const { Neuron }: typeof Sdk = await import(
  process.argv.includes('--dist') ? '../../dist/src/index.js' : '../../src/index.js'
);
const parkMode = process.argv.includes('--park');
const latencyMode = process.argv.includes('--latency');
const pushedAt = new Map<string, number>();
const latencies: number[] = [];
const n = Number(args[0] ?? 20_000);
const concurrency = Number(args[1] ?? (parkMode ? n : 64));

let callbacks: TransportCallbacks = {};
let sent = 0;
let settled = 0;
let done: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  done = resolve;
});
const expiresAt = new Date(Date.now() + 600_000).toISOString();

function pushLease(): void {
  sent += 1;
  const leaseId = `l-${sent}`;
  const frame: InboundFrame = {
    type: 'lease',
    leaseId,
    capabilityType: 'bench/noop',
    task: { taskId: `t-${sent}`, input: { i: sent }, attempt: 1 },
    expiresAt,
  };
  if (latencyMode) pushedAt.set(leaseId, performance.now());
  callbacks.onFrame?.(frame, String(sent));
}

const transport: Transport = {
  subscribe: (cb) => {
    callbacks = cb;
  },
  start: async () => callbacks.onOpen?.(),
  stop: async () => {},
  isConnected: () => true,
  post: async (path, body) => {
    const leaseId = (body as { leaseId?: string } | undefined)?.leaseId ?? '';
    const pushed = pushedAt.get(leaseId);
    if (pushed !== undefined) latencies.push(performance.now() - pushed);
    if (path === 'register') {
      queueMicrotask(() =>
        callbacks.onFrame?.({
          type: 'registered',
          sessionId: 's-1',
          capabilities: [{ type: 'bench/noop', scope: 'any', concurrency }],
        }),
      );
    } else if ((path === 'ack' || path === 'nack') && !parkMode && !latencyMode && sent < n) {
      queueMicrotask(pushLease);
    }
    return undefined;
  },
};

let release: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
let parked = 0;
let allParked: () => void = () => {};
const parkedAll = new Promise<void>((resolve) => {
  allParked = resolve;
});

const neuron = new Neuron({ neuronId: 'micro', transport });
neuron.handle({ type: 'bench/noop', scope: 'any', concurrency }, async () => {
  if (!parkMode) return null;
  parked += 1;
  if (parked === n) allParked();
  await gate;
  return null;
});
// Finished once every lease has settled: its outcome posted and its actor stopped.
neuron.on('lease:settled', () => {
  settled += 1;
  if (settled === n) done();
});
const registered = new Promise<void>((resolve) =>
  neuron.once('connection:registered', () => resolve()),
);
await neuron.start();
await registered;

const gc = (globalThis as { gc?: () => void }).gc;
const heap = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};
const before = heap();
const snapshots = process.argv.includes('--heap-snapshots');
if (snapshots) console.log(`heap snapshot: ${writeHeapSnapshot()}`);
const t0 = performance.now();
if (parkMode) {
  for (let i = 0; i < n; i++) pushLease();
  await parkedAll;
  const parkMs = performance.now() - t0;
  const after = heap();
  if (snapshots) console.log(`heap snapshot: ${writeHeapSnapshot()}`);
  console.log(
    `parked ${n} in ${parkMs.toFixed(0)} ms; heap ${gc ? ((after - before) / n).toFixed(0) : '? (no --expose-gc)'} B per lease`,
  );
  const t1 = performance.now();
  release();
  await finished;
  console.log(`released and acked in ${(performance.now() - t1).toFixed(0)} ms`);
} else if (latencyMode) {
  const timer = setInterval(() => {
    if (sent < n) pushLease();
    else clearInterval(timer);
  }, 5);
  await finished;
  latencies.sort((a, b) => a - b);
  const at = (q: number): string =>
    (latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(3);
  console.log(`${n} leases one at a time: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms in-process`);
} else {
  for (let i = 0; i < Math.min(concurrency, n); i++) pushLease();
  await finished;
  const ms = performance.now() - t0;
  console.log(
    `${n} leases at concurrency ${concurrency}: ${((n / ms) * 1000).toFixed(0)} leases/s in-process`,
  );
}
await neuron.stop({ drain: false, timeoutMs: 0 });
