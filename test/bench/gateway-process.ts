/**
 * The gateway process of the bench: the reference gateway (`createDevGateway`) driven over IPC.
 * Times are taken here, with `performance.now()`: a lease is "sent" when the gateway has written
 * its frame to the stream, and its ack "received" when the gateway handles the ack POST.
 */
import { performance } from 'node:perf_hooks';
import { createDevGateway, type DevGateway } from '../../src/dev-gateway/index.js';
import { serve } from './ipc.js';
import { type HandlerMode, workloadOf } from './workload.js';

export interface StartArgs {
  heartbeatIntervalMs?: number;
}

let gateway: DevGateway | undefined;
let startArgs: StartArgs = {};
let port = 0;
/** Per task: when its (latest) lease was written. */
let sentAt = new Map<string, number>();
let latencies: number[] = [];
let settled = 0;
/** Settled otherwise than acked: a scenario whose tasks fail measures nothing. */
let failed = 0;
let firstSent = 0;
let lastSettled = 0;
let settledWaiter: { n: number; resolve: () => void } | undefined;
let heartbeats: { bytes: number; inFlight: number }[] = [];

async function open(listenPort: number): Promise<DevGateway> {
  const gw = await createDevGateway({
    port: listenPort,
    devApi: false,
    // Parked leases must not expire mid-measurement; nothing here retries.
    leaseTtlMs: 600_000,
    maxAttempts: 1,
    ...(startArgs.heartbeatIntervalMs && { heartbeatIntervalMs: startArgs.heartbeatIntervalMs }),
  });
  gw.on('lease', ({ taskId }) => {
    const now = performance.now();
    if (firstSent === 0) firstSent = now;
    sentAt.set(taskId, now);
  });
  gw.on('task:settled', ({ taskId, state }) => {
    const now = performance.now();
    if (state !== 'acked') failed += 1;
    const sent = sentAt.get(taskId);
    if (sent !== undefined) latencies.push(now - sent);
    sentAt.delete(taskId);
    settled += 1;
    lastSettled = now;
    if (settledWaiter && settled >= settledWaiter.n) settledWaiter.resolve();
  });
  gw.on('request', (request) => {
    if (request.path !== 'heartbeat') return;
    const body = request.body as { inFlight?: unknown[] } | undefined;
    heartbeats.push({
      bytes: Number(request.headers['content-length'] ?? 0),
      inFlight: body?.inFlight?.length ?? 0,
    });
  });
  return gw;
}

function reset(): void {
  sentAt = new Map();
  latencies = [];
  settled = 0;
  failed = 0;
  firstSent = 0;
  lastSettled = 0;
  heartbeats = [];
}

function waitSettled(n: number, timeoutMs: number): Promise<void> {
  if (settled >= n) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      settledWaiter = undefined;
      reject(new Error(`gateway: ${settled}/${n} tasks settled after ${timeoutMs} ms`));
    }, timeoutMs);
    settledWaiter = {
      n,
      resolve: () => {
        clearTimeout(timer);
        settledWaiter = undefined;
        resolve();
      },
    };
  });
}

function current(): DevGateway {
  if (!gateway) throw new Error('gateway: not started');
  return gateway;
}

function submit(mode: HandlerMode, n: number, offset = 0): void {
  const gw = current();
  const { capabilityType, input } = workloadOf(mode);
  for (let i = 0; i < n; i++) gw.submitTask({ capabilityType, input: input(offset + i) });
}

serve({
  /** A fresh gateway (the previous one closed): its task and request logs start empty. */
  async start(args: StartArgs) {
    await gateway?.close();
    startArgs = args;
    reset();
    gateway = await open(0);
    port = Number(new URL(gateway.url).port);
    return { url: gateway.url };
  },
  /** Submits `n` tasks at once and waits for all to settle; times first lease → last outcome. */
  async bulk({ mode, n, timeoutMs }: { mode: HandlerMode; n: number; timeoutMs: number }) {
    reset();
    submit(mode, n);
    await waitSettled(n, timeoutMs);
    const elapsedMs = lastSettled - firstSent;
    return { elapsedMs, perSecond: (n / elapsedMs) * 1000, failed };
  },
  /** Offers `n` tasks at `perSecond`, on schedule; returns each lease-sent → ack-received time. */
  async rate({
    mode,
    n,
    perSecond,
    timeoutMs,
  }: {
    mode: HandlerMode;
    n: number;
    perSecond: number;
    timeoutMs: number;
  }) {
    reset();
    const interval = 1000 / perSecond;
    const t0 = performance.now();
    let offered = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(n, Math.floor((performance.now() - t0) / interval) + 1);
        if (due > offered) {
          submit(mode, due - offered, offered);
          offered = due;
        }
        if (offered >= n) {
          resolve();
          return;
        }
        const next = t0 + offered * interval - performance.now();
        setTimeout(tick, Math.max(0, next));
      };
      tick();
    });
    await waitSettled(n, timeoutMs);
    return { latencies, offeredMs: performance.now() - t0, failed };
  },
  /** Submits `n` tasks and returns at once (the memory scenario parks them). */
  submit({ mode, n }: { mode: HandlerMode; n: number }) {
    reset();
    submit(mode, n);
    return {};
  },
  /**
   * Lets the gateway lease up to `concurrency` tasks of the type to the neuron, as if it had
   * raised its capability's concurrency (an `update-capability` frame, delivered in-process),
   * while the neuron itself still runs its own, lower limit: the leases beyond it queue in the
   * neuron, which is what the flood scenario measures. The dev gateway never over-leases
   * otherwise.
   */
  async dispatchUpTo({
    neuronId,
    capabilityType,
    concurrency,
  }: {
    neuronId: string;
    capabilityType: string;
    concurrency: number;
  }) {
    const answer = await current().ipcBridge().invoke('update-capability', {
      type: 'update-capability',
      neuronId,
      capabilityType,
      concurrency,
    });
    const status = (answer as { status?: number }).status;
    if (status !== 202) throw new Error(`gateway: update-capability answered ${status}`);
    return {};
  },
  async waitSettled({ n, timeoutMs }: { n: number; timeoutMs: number }) {
    await waitSettled(n, timeoutMs);
    return { settled, failed };
  },
  /** Resolves once `count` heartbeats listing at least `minInFlight` leases have arrived. */
  async heartbeats({
    count,
    minInFlight,
    timeoutMs,
  }: {
    count: number;
    minInFlight: number;
    timeoutMs: number;
  }) {
    const deadline = performance.now() + timeoutMs;
    const full = () => heartbeats.filter((h) => h.inFlight >= minInFlight);
    while (full().length < count && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { heartbeats: full() };
  },
  /**
   * Closes the gateway and opens a new one on the same port at once; resolves with how long
   * after it was back the neuron registered again.
   */
  async restart({ timeoutMs }: { timeoutMs: number }) {
    const down = performance.now();
    await current().close();
    gateway = await open(port);
    const back = performance.now();
    await gateway.waitFor('registered', undefined, { timeoutMs });
    return { downMs: back - down, registeredAfterMs: performance.now() - back };
  },
  async close() {
    await gateway?.close();
    gateway = undefined;
    return {};
  },
});
