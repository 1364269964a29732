/**
 * One fuzz run: a real `Neuron` over loopback against the reference gateway, driven by a random
 * sequence of gateway behaviour, then stopped; and the invariants every run must keep.
 */
import { type HandlerContext, Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import fc from 'fast-check';
import type { GatewayPath } from '../../src/dev-gateway/types.js';
import { trackResources } from '../support/resources.js';

export const CAPS = ['fuzz/a', 'fuzz/b'] as const;
type Cap = (typeof CAPS)[number];
const UNKNOWN = 'fuzz/unknown';

/** What a handler does with its task (`input.mode`). */
export type Mode =
  | 'ok'
  | 'throw'
  | 'fail'
  | 'slow'
  | 'abortable'
  | 'stubborn'
  | 'unserializable'
  | 'progress';

export type Action =
  | { kind: 'submit'; cap: Cap; mode: Mode; ms: number; shortTtl: boolean }
  | { kind: 'push'; cap: Cap | typeof UNKNOWN; mode: Mode; ms: number; twice: boolean }
  | { kind: 'replay' }
  | { kind: 'malformed'; variant: number }
  | { kind: 'cancel'; which: number }
  | { kind: 'cancel-unknown' }
  | { kind: 'revoke'; cap: Cap }
  | { kind: 'reregister' }
  | { kind: 'drop' }
  | { kind: 'disconnect' }
  | { kind: 'fail'; path: GatewayPath; status: number; times: number }
  | { kind: 'update'; cap: Cap; concurrency: number }
  | { kind: 'wait'; ms: number };

export interface Scenario {
  concurrency: [number, number];
  actions: Action[];
  stop: { drain: boolean; timeoutMs: number };
}

const mode = fc.constantFrom<Mode>(
  'ok',
  'throw',
  'fail',
  'slow',
  'abortable',
  'stubborn',
  'unserializable',
  'progress',
);
const cap = fc.constantFrom<Cap>(...CAPS);
const ms = fc.integer({ min: 0, max: 25 });

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      cap,
      mode,
      ms,
      shortTtl: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      cap: fc.constantFrom<Cap | typeof UNKNOWN>(...CAPS, UNKNOWN),
      mode,
      ms,
      twice: fc.boolean(),
    }),
  },
  fc.constant({ kind: 'replay' as const }),
  fc.record({ kind: fc.constant('malformed' as const), variant: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('cancel' as const), which: fc.nat() }),
  fc.constant({ kind: 'cancel-unknown' as const }),
  fc.record({ kind: fc.constant('revoke' as const), cap }),
  fc.constant({ kind: 'reregister' as const }),
  fc.constant({ kind: 'drop' as const }),
  fc.constant({ kind: 'disconnect' as const }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      path: fc.constantFrom<GatewayPath>(
        'ack',
        'nack',
        'heartbeat',
        'register',
        'events',
        'progress',
        'update-capability',
      ),
      status: fc.constantFrom(400, 401, 403, 404, 409, 410, 429, 500, 503),
      times: fc.integer({ min: 1, max: 2 }),
    }),
  },
  fc.record({
    kind: fc.constant('update' as const),
    cap,
    concurrency: fc.integer({ min: 1, max: 3 }),
  }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms }) },
);

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  concurrency: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  actions: fc.array(action, { maxLength: 24 }),
  stop: fc.record({ drain: fc.boolean(), timeoutMs: fc.integer({ min: 0, max: 40 }) }),
});

const MALFORMED = [
  'data: {not json\n\n',
  'data: {"no":"type"}\n\n',
  'data: {"type":"lease","leaseId":"l-broken"}\n\n',
  'data: {"type":"cancel"}\n\n',
  'data: {"type":"from-the-future","x":1}\n\n',
  'event: lease\ndata: [1,2,3]\n\n',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface HandlerRun {
  leaseId: string;
  cap: string;
  startedAt: number;
  /** Running as far as the SDK is concerned: not settled, signal not fired. */
  live: boolean;
}

/** Everything a run observed, for the invariants. */
export interface Observation {
  neuronId: string;
  gw: DevGateway;
  runs: HandlerRun[];
  violations: string[];
  received: Array<{ leaseId: string; duplicate: boolean }>;
  settled: Array<{ leaseId: string; settlement: string }>;
  stopResolved: boolean;
  leftovers: string[];
  faults: unknown[];
}

let runCount = 0;

export async function runScenario(s: Scenario): Promise<Observation> {
  const neuronId = `fuzz-${++runCount}`;
  const gw = await createDevGateway({ pingIntervalMs: 50, reaperIntervalMs: 20 });
  const resources = trackResources();
  const faults: unknown[] = [];
  const onFault = (err: unknown) => faults.push(err);
  process.on('unhandledRejection', onFault);
  process.on('uncaughtException', onFault);
  // XState warns (in development builds) of an event sent to an actor that has stopped.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (String(args[0]).includes('stopped actor')) faults.push(new Error(String(args[0])));
    else warn(...args);
  };
  const obs: Observation = {
    neuronId,
    gw,
    runs: [],
    violations: [],
    received: [],
    settled: [],
    stopResolved: false,
    leftovers: [],
    faults,
  };
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId,
    auth: () => 'fuzz-token',
    heartbeatIntervalMs: 15,
    initialReconnectDelayMs: 5,
    maxReconnectDelayMs: 20,
    idleTimeoutMs: 2_000,
    cancelGraceMs: 20,
    shutdownGraceMs: 30,
    requestTimeoutMs: 1_000,
  });
  neuron.on('error', () => {});
  neuron.on('lease:received', (e) =>
    obs.received.push({ leaseId: e.leaseId, duplicate: e.duplicate }),
  );
  neuron.on('lease:settled', (e) =>
    obs.settled.push({ leaseId: e.leaseId, settlement: e.settlement }),
  );

  for (const type of CAPS) {
    neuron.handle(
      {
        type,
        scope: 'any',
        concurrency: s.concurrency[CAPS.indexOf(type)] ?? 1,
        ...(type === 'fuzz/b' ? { inputSchema: { type: 'object' } } : {}),
      },
      async (input: unknown, ctx: HandlerContext) => {
        const snap = neuron.snapshot().capabilities.find((c) => c.type === type);
        const live = obs.runs.filter((r) => r.cap === type && r.live).length;
        const limit = snap?.concurrency ?? 0;
        if (live + 1 > limit)
          obs.violations.push(`${live + 1} handlers of ${type} running, concurrency ${limit}`);
        const run: HandlerRun = {
          leaseId: ctx.leaseId,
          cap: type,
          startedAt: Date.now(),
          live: true,
        };
        obs.runs.push(run);
        ctx.signal.addEventListener('abort', () => {
          run.live = false;
        });
        try {
          return await behave(input as { mode?: Mode; ms?: number }, ctx);
        } finally {
          run.live = false;
        }
      },
    );
  }

  const leases: string[] = [];
  const tasks: string[] = [];
  let pushed = 0;
  gw.on('frame', (f) => {
    if (f.neuronId === neuronId && f.frame.type === 'lease')
      leases.push((f.frame as { leaseId: string }).leaseId);
  });

  await neuron.start();
  await gw
    .waitFor('registered', (e) => e.neuronId === neuronId, { timeoutMs: 2_000 })
    .catch(() => {});

  for (const a of s.actions) {
    await perform(a);
    await sleep(1);
  }

  let stopTimer: NodeJS.Timeout | undefined;
  const stopped = neuron.stop(s.stop).then(() => {
    obs.stopResolved = true;
  });
  await Promise.race([
    stopped,
    new Promise((resolve) => {
      stopTimer = setTimeout(resolve, 3_000);
    }),
  ]);
  clearTimeout(stopTimer);
  // Let trailing sockets close before looking for leftovers.
  for (let i = 0; i < 100; i++) {
    obs.leftovers = resources.sdkLeftovers();
    if (obs.leftovers.length === 0) break;
    await sleep(5);
  }
  resources.stop();
  console.warn = warn;
  process.off('unhandledRejection', onFault);
  process.off('uncaughtException', onFault);
  gw.clearFaults();
  await gw.close();
  return obs;

  async function perform(a: Action): Promise<void> {
    switch (a.kind) {
      case 'submit': {
        const task = gw.submitTask({
          capabilityType: a.cap,
          input:
            a.cap === 'fuzz/b' && a.mode === 'throw' ? 'not an object' : { mode: a.mode, ms: a.ms },
          ...(a.shortTtl ? { leaseTtlMs: 40 } : {}),
        });
        tasks.push(task.taskId);
        return;
      }
      case 'push': {
        const frame = {
          type: 'lease' as const,
          leaseId: `l-push-${neuronId}-${++pushed}`,
          capabilityType: a.cap,
          task: { taskId: `t-push-${pushed}`, input: { mode: a.mode, ms: a.ms } },
        };
        if (!streamOpen()) return;
        gw.sendFrame(neuronId, frame);
        if (a.twice) gw.sendFrame(neuronId, frame);
        return;
      }
      case 'replay': {
        const leaseId = leases[leases.length - 1];
        if (!leaseId || !streamOpen()) return;
        gw.sendFrame(neuronId, {
          type: 'lease',
          leaseId,
          capabilityType: 'fuzz/a',
          task: { taskId: 't-replay', input: { mode: 'ok' } },
        });
        return;
      }
      case 'malformed':
        if (streamOpen()) gw.sendRaw(neuronId, MALFORMED[a.variant] ?? MALFORMED[0]!);
        return;
      case 'cancel': {
        const taskId = tasks[a.which % Math.max(1, tasks.length)];
        if (taskId) gw.cancelTask(taskId, 'fuzz');
        return;
      }
      case 'cancel-unknown':
        if (streamOpen()) gw.sendFrame(neuronId, { type: 'cancel', leaseId: 'l-nobody' });
        return;
      case 'revoke':
        if (streamOpen()) gw.revokeCapability(neuronId, a.cap, 'fuzz');
        return;
      case 'reregister':
        if (!streamOpen()) return;
        gw.sendFrame(neuronId, {
          type: 'registered',
          sessionId: `s-fuzz-${neuronId}`,
          capabilities: CAPS.map((type) => ({ type, scope: 'any' as const, concurrency: 1 })),
        });
        return;
      case 'drop':
        if (streamOpen()) gw.dropStream(neuronId);
        return;
      case 'disconnect':
        if (streamOpen()) gw.disconnect(neuronId, { reason: 'fuzz', reconnectAfterMs: 5 });
        return;
      case 'fail':
        gw.failNext(a.path, {
          status: a.status,
          times: a.times,
          ...(a.status === 429 || a.status === 503 ? { retryAfter: '0' } : {}),
        });
        return;
      case 'update':
        await neuron.updateCapability({ type: a.cap, concurrency: a.concurrency }).catch(() => {});
        return;
      case 'wait':
        await sleep(a.ms);
        return;
    }
  }

  function streamOpen(): boolean {
    return gw.neurons().find((n) => n.neuronId === neuronId)?.streamOpen === true;
  }
}

async function behave(input: { mode?: Mode; ms?: number }, ctx: HandlerContext): Promise<unknown> {
  const ms = input?.ms ?? 0;
  switch (input?.mode) {
    case 'throw':
      throw new Error('handler threw');
    case 'fail':
      return ctx.fail('fuzz says no', { code: 'FUZZ' });
    case 'slow':
      await sleep(ms);
      return { slept: ms };
    case 'abortable':
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms * 4);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal.reason);
        });
      });
      return { done: true };
    case 'stubborn':
      await sleep(ms * 2);
      return { ignored: 'the signal' };
    case 'unserializable':
      return { big: 10n };
    case 'progress':
      ctx.progress({ percent: 50 });
      await sleep(ms);
      return { progressed: true };
    default:
      return { echoed: input };
  }
}

/** Every invariant of a run; returns what broke. */
export function violations(obs: Observation): string[] {
  const out = [...obs.violations];
  const mine = (path: GatewayPath) =>
    obs.gw.requests.filter((r) => r.path === path && r.neuronId === obs.neuronId);
  const outcomes = new Map<string, string[]>();
  for (const r of [...mine('ack'), ...mine('nack')]) {
    const b = r.body as {
      leaseId: string;
      type: string;
      kind?: string;
      code?: string;
      reason?: string;
      output?: unknown;
    };
    const list = outcomes.get(b.leaseId) ?? [];
    list.push(JSON.stringify([b.type, b.kind, b.code, b.reason, b.output]));
    outcomes.set(b.leaseId, list);
  }
  const settledCount = new Map<string, number>();
  for (const s of obs.settled) settledCount.set(s.leaseId, (settledCount.get(s.leaseId) ?? 0) + 1);
  for (const [leaseId, n] of settledCount) if (n > 1) out.push(`${leaseId} settled ${n} times`);
  // Each accepted lease: at most one outcome (retries repeat it), exactly one unless none is allowed.
  for (const { leaseId, duplicate } of obs.received) {
    if (duplicate) continue;
    const posted = outcomes.get(leaseId) ?? [];
    if (new Set(posted).size > 1)
      out.push(
        `${leaseId} got ${new Set(posted).size} different outcomes: ${[...new Set(posted)].join(' / ')}`,
      );
    const settlement = obs.settled.find((s) => s.leaseId === leaseId)?.settlement;
    if (posted.length === 0 && settlement !== 'expired' && settlement !== 'lost')
      out.push(`${leaseId} got no outcome (settlement: ${settlement ?? 'none'})`);
  }
  // No queued lease in a heartbeat: only leases whose handler had started.
  for (const r of mine('heartbeat')) {
    for (const { leaseId } of (r.body as { inFlight?: Array<{ leaseId: string }> }).inFlight ??
      []) {
      const run = obs.runs.find((x) => x.leaseId === leaseId);
      if (!run || run.startedAt > r.at)
        out.push(`heartbeat listed ${leaseId} before its handler started`);
    }
  }
  if (!obs.stopResolved) out.push('stop() did not resolve within 3 s');
  if (obs.leftovers.length > 0) out.push(`left behind: ${obs.leftovers.join(', ')}`);
  for (const f of obs.faults) out.push(`unhandled: ${f instanceof Error ? f.stack : String(f)}`);
  return out;
}
