/**
 * One hostile-gateway run: a real `Neuron` over loopback against the reference gateway, which is
 * made to send arbitrary JSON in every frame field, arbitrary answers (status, body,
 * `Retry-After`) to every POST, arbitrary `retry:` and `id:` lines; handlers misuse `ctx` as
 * plain JavaScript can. Then the invariants of issue 11 are checked.
 */
import { type HandlerContext, Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import fc from 'fast-check';
import { checkFrame as gatewayCheck } from '../../src/dev-gateway/validate.js';
import type { PostPath } from '../../src/protocol/frames.js';
import { trackResources } from '../support/resources.js';

const CAP = 'hostile/echo';
const HEARTBEAT_MS = 15;
const INITIAL_RECONNECT_MS = 10;
const OUTCOME_FLOOR_MS = 500;
/** Arrival times at the gateway jitter a little around the neuron's timers. */
const SLACK_MS = 8;

type Misuse = 'none' | 'bad-code' | 'bad-progress' | 'throw-odd' | 'unserializable' | 'huge';

export type HostileAction =
  | { kind: 'frame'; type: string; fields: Record<string, unknown> }
  | { kind: 'raw'; text: string }
  | {
      kind: 'answer';
      path: PostPath;
      status: number;
      body: unknown;
      retryAfter?: string;
      times: number;
    }
  | { kind: 'task'; misuse: Misuse }
  | { kind: 'wait'; ms: number };

export interface HostileScenario {
  actions: HostileAction[];
}

const json = fc.jsonValue({ maxDepth: 2 });
/** Values a field may get: any JSON, plus numbers and strings chosen to break timers and ids. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  json,
  fc.constantFrom(0, -1, 1, 1e-9, 2 ** 31, 3e9, 1e308, -1e308, '', ' ', '__proto__'),
  fc.constantFrom(
    new Date(Date.now() - 60_000).toISOString(),
    new Date(Date.now() + 60_000).toISOString(),
    '9999-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
  ),
);
const leaseId = fc.constantFrom('h-1', 'h-2', 'h-3', 'constructor', '__proto__');
const retryAfter = fc.oneof(
  fc.constantFrom('0', '-1', '1', '1e3', 'soon', 'Sun, 06 Nov 1994 08:49:37 GMT', '99999999999'),
  fc.string({ maxLength: 12 }),
);

const frameAction: fc.Arbitrary<HostileAction> = fc.oneof(
  fc.record({
    kind: fc.constant('frame' as const),
    type: fc.constant('registered'),
    fields: fc.record(
      {
        sessionId: fc.oneof(fc.constant('s-h'), anyValue),
        capabilities: fc.oneof(
          fc.constant([{ type: CAP }]),
          fc.array(
            fc.oneof(fc.record({ type: fc.constant(CAP), concurrency: anyValue }), anyValue),
            {
              maxLength: 3,
            },
          ),
        ),
        heartbeatIntervalMs: anyValue,
        rejected: anyValue,
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    kind: fc.constant('frame' as const),
    type: fc.constant('lease'),
    fields: fc.record(
      {
        leaseId: fc.oneof(leaseId, anyValue),
        capabilityType: fc.oneof(fc.constant(CAP), anyValue),
        task: fc.oneof(
          fc.record({ taskId: fc.constant('t-h'), input: json, attempt: anyValue }),
          anyValue,
        ),
        expiresAt: anyValue,
        inputSchema: anyValue,
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    kind: fc.constant('frame' as const),
    type: fc.constantFrom('cancel', 'capability-revoked', 'disconnect', 'from-the-future'),
    fields: fc.record(
      {
        leaseId: fc.oneof(leaseId, anyValue),
        capabilityType: fc.oneof(fc.constant(CAP), anyValue),
        reason: anyValue,
        reconnectAfterMs: anyValue,
      },
      { requiredKeys: [] },
    ),
  }),
);

const action: fc.Arbitrary<HostileAction> = fc.oneof(
  { weight: 5, arbitrary: frameAction },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      text: fc.oneof(
        fc.integer({ min: -5, max: 3e9 }).map((n) => `retry: ${n}\n\n`),
        fc
          .string({ maxLength: 20 })
          .map((s) => `id: ${s.replace(/[\r\n]/g, '')}\ndata: {"type":"x"}\n\n`),
        fc.string({ maxLength: 30 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}\n\n`),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        kind: fc.constant('answer' as const),
        path: fc.constantFrom<PostPath>('heartbeat', 'ack', 'nack', 'progress', 'register'),
        status: fc.oneof(
          fc.constantFrom(200, 202, 204, 400, 401, 403, 404, 408, 409, 410, 429, 500, 503),
          fc.integer({ min: 200, max: 599 }),
        ),
        body: fc.oneof(json, fc.record({ leases: anyValue, lost: anyValue }, { requiredKeys: [] })),
        retryAfter,
        times: fc.integer({ min: 1, max: 3 }),
      },
      { requiredKeys: ['kind', 'path', 'status', 'body', 'times'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('task' as const),
      misuse: fc.constantFrom<Misuse>(
        'none',
        'bad-code',
        'bad-progress',
        'throw-odd',
        'unserializable',
        'huge',
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.integer({ min: 0, max: 30 }),
    }),
  },
);

export const hostileScenario: fc.Arbitrary<HostileScenario> = fc.record({
  actions: fc.array(action, { maxLength: 16 }),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HostileObservation {
  neuronId: string;
  gw: DevGateway;
  alive: string | undefined;
  stopMs: number | undefined;
  leftovers: string[];
  faults: unknown[];
}

let runCount = 0;
let shared: DevGateway | undefined;
/** The gateway's request log grows with every run; a new one every so often keeps runs cheap. */
const RUNS_PER_GATEWAY = 100;

/** One gateway serves many runs (a fresh neuronId each): the runs stay short. */
export async function hostileGateway(): Promise<DevGateway> {
  if (shared && runCount % RUNS_PER_GATEWAY === 0) await closeHostileGateway();
  shared ??= await createDevGateway({
    pingIntervalMs: 50,
    reaperIntervalMs: 20,
    maxAttempts: 1,
    leaseTtlMs: 2_000,
  });
  return shared;
}

export async function closeHostileGateway(): Promise<void> {
  await shared?.close();
  shared = undefined;
}

export async function runHostile(s: HostileScenario): Promise<HostileObservation> {
  const gw = await hostileGateway();
  gw.clearFaults();
  const neuronId = `hostile-${++runCount}`;
  const resources = trackResources();
  const faults: unknown[] = [];
  const onFault = (err: unknown) => faults.push(err);
  process.on('unhandledRejection', onFault);
  process.on('uncaughtException', onFault);
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId,
    auth: () => 'hostile-token',
    heartbeatIntervalMs: HEARTBEAT_MS,
    initialReconnectDelayMs: INITIAL_RECONNECT_MS,
    maxReconnectDelayMs: 40,
    idleTimeoutMs: 2_000,
    cancelGraceMs: 20,
    shutdownGraceMs: 30,
    requestTimeoutMs: 1_000,
  });
  neuron.on('error', () => {});
  // Leases a hostile 2xx "accepted" stay held at the gateway until their short TTL runs out:
  // enough slots that the check after the storm still finds one.
  neuron.handle({ type: CAP, scope: 'any', concurrency: 8 }, (input, ctx) => misbehave(input, ctx));
  const obs: HostileObservation = {
    neuronId,
    gw,
    alive: undefined,
    stopMs: undefined,
    leftovers: [],
    faults,
  };

  await neuron.start();
  await gw
    .waitFor('registered', (e) => e.neuronId === neuronId, { timeoutMs: 2_000 })
    .catch(() => {});
  for (const a of s.actions) await perform(a);

  obs.alive = await checkAlive();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    neuron.stop({ drain: false }).then(() => {
      obs.stopMs = Date.now() - started;
    }),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 3_000);
    }),
  ]);
  clearTimeout(timer);
  for (let i = 0; i < 100; i++) {
    obs.leftovers = resources.sdkLeftovers();
    if (obs.leftovers.length === 0) break;
    await sleep(5);
  }
  resources.stop();
  process.off('unhandledRejection', onFault);
  process.off('uncaughtException', onFault);
  gw.clearFaults();
  return obs;

  async function perform(a: HostileAction): Promise<void> {
    const open = gw.neurons().find((n) => n.neuronId === neuronId)?.streamOpen === true;
    switch (a.kind) {
      case 'frame':
        if (open)
          gw.sendRaw(neuronId, `data: ${JSON.stringify({ type: a.type, ...a.fields })}\n\n`);
        return;
      case 'raw':
        if (open) gw.sendRaw(neuronId, a.text);
        return;
      case 'answer':
        gw.failNext(a.path, {
          status: a.status,
          body: a.body,
          times: a.times,
          ...(a.retryAfter === undefined ? {} : { retryAfter: a.retryAfter }),
        });
        return;
      case 'task':
        gw.submitTask({ capabilityType: CAP, input: { misuse: a.misuse } });
        return;
      case 'wait':
        await sleep(a.ms);
        return;
    }
  }

  /**
   * With the gateway behaving again: a fresh stream and registration (a hostile answer may have
   * refused the last one, which leaves the neuron lease-less until it reconnects), a task acked,
   * a heartbeat after it.
   */
  async function checkAlive(): Promise<string | undefined> {
    gw.clearFaults();
    if (neuron.getState() !== 'serving') return `neuron is ${neuron.getState()}`;
    try {
      // Frames still on their way would be lost with the stream; their leases held for nothing.
      await sleep(20);
      const registered = gw.waitFor('registered', (e) => e.neuronId === neuronId, {
        timeoutMs: 2_000,
      });
      // Between streams (in backoff) it registers afresh by itself.
      if (gw.neurons().find((n) => n.neuronId === neuronId)?.streamOpen) gw.dropStream(neuronId);
      await registered;
      const task = gw.submitTask({ capabilityType: CAP, input: { misuse: 'none' } });
      // Slots a hostile 2xx left held at the gateway free within the 2 s lease TTL.
      const done = await gw.waitForTask(task.taskId, undefined, { timeoutMs: 3_000 });
      if (done.state !== 'acked') return `a task after the storm ended ${done.state}`;
      const at = Date.now();
      await gw.waitFor(
        'request',
        (r) => r.path === 'heartbeat' && r.neuronId === neuronId && r.at > at,
        { timeoutMs: 1_000 },
      );
    } catch (err) {
      return `not alive after the storm: ${err instanceof Error ? err.message : String(err)}`;
    }
    return undefined;
  }
}

async function misbehave(input: unknown, ctx: HandlerContext): Promise<unknown> {
  const misuse = (input as { misuse?: Misuse } | null)?.misuse;
  switch (misuse) {
    case 'bad-code':
      return ctx.fail({ toString: () => 'odd reason' } as never, { code: 404 } as never);
    case 'bad-progress':
      ctx.progress({ percent: 'abc', message: 5, data: { n: 1n }, leaseId: 'forged' } as never);
      ctx.progress('half' as never);
      await sleep(5);
      return { ok: true };
    case 'throw-odd':
      throw Object.create(null);
    case 'unserializable':
      return { n: 1n };
    case 'huge':
      throw new Error('e'.repeat(100_000));
    default:
      return input;
  }
}

/** Every invariant of a run; returns what broke. */
export function hostileViolations(obs: HostileObservation): string[] {
  const out: string[] = [];
  const mine = obs.gw.requests.filter((r) => r.neuronId === obs.neuronId);
  if (obs.alive) out.push(obs.alive);
  // No malformed frame: every POST passes the gateway's own frame check.
  for (const r of mine) {
    if (r.method !== 'POST' || r.path === 'unknown' || r.path === 'events') continue;
    const checked = gatewayCheck(r.path as PostPath, r.body);
    if ('problem' in checked) out.push(`malformed ${r.path}: ${checked.problem}`);
  }
  // At most one accepted (2xx) outcome per lease.
  const accepted = new Map<string, number>();
  for (const r of mine) {
    if ((r.path !== 'ack' && r.path !== 'nack') || r.status < 200 || r.status > 299) continue;
    const id = (r.body as { leaseId: string }).leaseId;
    accepted.set(id, (accepted.get(id) ?? 0) + 1);
  }
  for (const [id, n] of accepted) if (n > 1) out.push(`${id} had ${n} accepted outcomes`);
  // Rate floors: consecutive requests of one loop are never closer than its floor, except the
  // retry at once that a 401 allows.
  const floors: Array<[string, (r: (typeof mine)[number]) => string | undefined, number]> = [
    ['heartbeat', (r) => (r.path === 'heartbeat' ? 'heartbeat' : undefined), HEARTBEAT_MS],
    ['stream open', (r) => (r.path === 'events' ? 'events' : undefined), INITIAL_RECONNECT_MS / 2],
    [
      'outcome',
      (r) =>
        r.path === 'ack' || r.path === 'nack' ? (r.body as { leaseId: string }).leaseId : undefined,
      OUTCOME_FLOOR_MS,
    ],
  ];
  for (const [name, keyOf, floor] of floors) {
    const last = new Map<string, (typeof mine)[number]>();
    for (const r of mine) {
      const key = keyOf(r);
      if (key === undefined) continue;
      const previous = last.get(key);
      last.set(key, r);
      if (!previous || previous.status === 401 || previous.status === 409) continue;
      // A stream open follows a refused register, a 401 on the open, or a dropped stream:
      // only its own reconnect delay applies.
      if (r.at - previous.at < floor - SLACK_MS)
        out.push(`${name} ${key}: two requests ${r.at - previous.at} ms apart (floor ${floor} ms)`);
    }
  }
  if (obs.stopMs === undefined) out.push('stop() did not resolve within 3 s');
  if (obs.leftovers.length > 0) out.push(`left behind: ${obs.leftovers.join(', ')}`);
  for (const f of obs.faults) out.push(`unhandled: ${f instanceof Error ? f.stack : String(f)}`);
  return out;
}
