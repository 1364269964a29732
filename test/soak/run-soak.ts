/**
 * The soak: N leases through one neuron against the reference gateway running in a child process
 * (so the heap measured is the neuron's, not the gateway's books), with progress on every lease,
 * a cancel every CANCEL_EVERY leases and a gateway-side disconnect every RECONNECT_EVERY. At
 * checkpoints it forces a GC and records heap, RSS, active handles and listeners. Used by
 * `npm run soak` (100 000 leases) and by soak.test.ts (10 000, in CI).
 */
import { setFlagsFromString } from 'node:v8';

import { runInNewContext } from 'node:vm';
import { Neuron } from '../../src/index.js';
import { GatewayProcess } from '../fault/support/gateway-process.js';

export interface Checkpoint {
  settled: number;
  heapUsedMb: number;
  rssMb: number;
  /** `process.getActiveResourcesInfo()`: timers, sockets… */
  handles: number;
  /** Listeners on `process`. */
  listeners: number;
  elapsedMs: number;
}

export interface SoakResult {
  leases: number;
  acked: number;
  cancelled: number;
  reconnects: number;
  checkpoints: Checkpoint[];
  /** Growth after warm-up, in % (heap: last vs end of warm-up; RSS: its trend after warm-up; handles, listeners: peaks). */
  growth: { heapPct: number; rssPct: number; handlesPct: number; listenersPct: number };
  durationMs: number;
  /** What the gateway's books say at the end. */
  books: { tasks: number; acked: number; cancelled: number; unsettled: number };
}

const TOKEN = 'soak-token';
const TYPES = ['soak/a', 'soak/b', 'soak/c'] as const;
const CONCURRENCY = [2, 4, 8];
const CANCEL_EVERY = 97;
const RECONNECT_EVERY_MS = 4_000;
/** Submitted but unsettled tasks kept in flight. */
const WINDOW = 200;

function collectGarbage(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function runSoak(options: {
  leases: number;
  checkpoints: number;
  /** Checkpoints before this fraction of the run are warm-up. @default 0.2 */
  warmup?: number;
  log?: (line: string) => void;
}): Promise<SoakResult> {
  const { leases, log = () => {} } = options;
  const gc = collectGarbage();
  const gp = await GatewayProcess.start({
    token: TOKEN,
    leaseTtlMs: 60_000,
    pingIntervalMs: 5_000,
  });
  const neuron = new Neuron({
    gatewayUrl: gp.url,
    neuronId: 'soak-1',
    auth: () => TOKEN,
    heartbeatIntervalMs: 1_000,
    initialReconnectDelayMs: 50,
    maxReconnectDelayMs: 500,
  });
  TYPES.forEach((type, i) => {
    neuron.handle({ type, scope: 'any', concurrency: CONCURRENCY[i]! }, async (input, ctx) => {
      const n = input as number;
      ctx.progress({ percent: 50, message: 'halfway' });
      if (n % CANCEL_EVERY === 0) {
        // Waits for its cancel: rejects with the signal's reason.
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
        );
      }
      if (n % 2 === 0) await new Promise<void>((r) => setImmediate(r));
      return { n };
    });
  });
  let settled = 0;
  let acked = 0;
  let cancelled = 0;
  let reconnects = 0;
  neuron.on('lease:settled', (info) => {
    settled++;
    if (info.outcome?.kind === 'ack') acked++;
    else if (info.outcome?.kind === 'nack' && info.outcome.nack === 'cancelled') cancelled++;
  });
  neuron.on('connection:reconnecting', () => reconnects++);
  neuron.on('error', () => {});
  const registered = new Promise<void>((resolve) =>
    neuron.once('connection:registered', () => resolve()),
  );
  await neuron.start();
  await registered;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gp.url}/__dev__${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return res.json() as Promise<unknown>;
  };
  const started = Date.now();
  const checkpoints: Checkpoint[] = [];
  const every = Math.floor(leases / options.checkpoints);
  let nextCheckpoint = every;
  const measure = () => {
    gc();
    gc();
    const memory = process.memoryUsage();
    const point: Checkpoint = {
      settled,
      heapUsedMb: +(memory.heapUsed / 2 ** 20).toFixed(2),
      rssMb: +(memory.rss / 2 ** 20).toFixed(1),
      handles: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length,
      listeners: process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0),
      elapsedMs: Date.now() - started,
    };
    checkpoints.push(point);
    log(
      `soak: ${point.settled} settled, heap ${point.heapUsedMb} MB, rss ${point.rssMb} MB, handles ${point.handles}, listeners ${point.listeners}, ${point.elapsedMs} ms`,
    );
  };
  // Disconnects are made from the loop, not a timer, so that none is under way at a checkpoint.
  let nextDisconnect = started + RECONNECT_EVERY_MS;
  let submitted = 0;
  while (settled < leases) {
    if (Date.now() >= nextDisconnect) {
      nextDisconnect += RECONNECT_EVERY_MS;
      await api('POST', '/neurons/soak-1/disconnect', {
        reason: 'soak',
        reconnectAfterMs: 20,
      }).catch(() => {});
    }
    const batch: Promise<unknown>[] = [];
    while (submitted < leases && submitted - settled < WINDOW) {
      const n = submitted++;
      const taskId = `t-${n}`;
      batch.push(
        api('POST', '/tasks', {
          capabilityType: TYPES[n % 3],
          input: n,
          taskId,
          maxAttempts: 5,
        }).then(() => {
          if (n % CANCEL_EVERY === 0) {
            // Cancel once it is leased (a pending cancel would never reach the neuron).
            const tryCancel = async (): Promise<void> => {
              const task = (await api('GET', `/tasks/${taskId}`)) as { state: string };
              if (task.state === 'pending') return void setTimeout(() => void tryCancel(), 20);
              if (task.state === 'leased')
                await api('POST', `/tasks/${taskId}/cancel`, { reason: 'soak' });
            };
            return tryCancel();
          }
        }),
      );
    }
    await Promise.all(batch);
    await new Promise((r) => setTimeout(r, 5));
    if (settled >= nextCheckpoint && checkpoints.length < options.checkpoints) {
      // Quiesce first: every submitted lease settled and the stream registered (no reconnect
      // under way), so the figures show the neuron at rest (an SSE socket, the pool's idle
      // sockets, the heartbeat), not what is in flight.
      while (settled < submitted || !neuron.snapshot().connection.state.includes('registered'))
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      measure();
      while (settled >= nextCheckpoint) nextCheckpoint += every;
    }
  }
  if (checkpoints.length < options.checkpoints) measure();
  const tasks = (await api('GET', '/tasks')) as Array<{ state: string }>;
  const books = {
    tasks: tasks.length,
    acked: tasks.filter((t) => t.state === 'acked').length,
    cancelled: tasks.filter((t) => t.state === 'cancelled').length,
    unsettled: tasks.filter((t) => !['acked', 'failed', 'cancelled'].includes(t.state)).length,
  };
  await neuron.stop();
  await gp.kill('SIGTERM');
  // Heap is measured after a forced GC: the last checkpoint against the end of warm-up. Handles
  // and listeners are exact at rest: the peak after warm-up against the peak during it. RSS steps
  // up early as V8 sizes its heap to the load, then swings by a quarter either way with the
  // allocator's whims: its growth is the trend after warm-up (a least-squares line through those
  // checkpoints), how far the line rises over them, against their mean. A leak tilts the line.
  const warmCount = Math.max(1, Math.ceil(checkpoints.length * (options.warmup ?? 0.2)));
  const warm = checkpoints.slice(0, warmCount);
  const after = checkpoints.slice(warmCount);
  const last = checkpoints.at(-1)!;
  const peak = (points: Checkpoint[], key: 'handles' | 'listeners') =>
    Math.max(...points.map((p) => p[key]));
  const pct = (a: number, b: number) => +(((b - a) / a) * 100).toFixed(1);
  return {
    leases,
    acked,
    cancelled,
    reconnects,
    checkpoints,
    growth: {
      heapPct: pct(warm.at(-1)!.heapUsedMb, last.heapUsedMb),
      rssPct: rssTrendPct(after.length > 1 ? after : checkpoints),
      handlesPct: pct(peak(warm, 'handles'), peak(after, 'handles')),
      listenersPct: pct(peak(warm, 'listeners'), peak(after, 'listeners')),
    },
    durationMs: Date.now() - started,
    books,
  };
}

/** How far a least-squares line through the checkpoints' RSS rises over them, in % of its mean. */
function rssTrendPct(points: Checkpoint[]): number {
  const n = points.length;
  const xs = points.map((p) => p.settled);
  const ys = points.map((p) => p.rssMb);
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / n;
  const mx = mean(xs);
  const my = mean(ys);
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    covariance += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    variance += ((xs[i] as number) - mx) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance;
  const span = (xs[n - 1] as number) - (xs[0] as number);
  return +(((slope * span) / my) * 100).toFixed(1);
}
