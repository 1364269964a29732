import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, createActor } from 'xstate';
import {
  inputMismatch,
  type LeaseContext,
  leaseMachine,
  type Outcome,
  type PostOutcomeInput,
} from '../../machines/lease.js';
import { GatewayStatusError } from '../../src/errors.js';
import { stateString } from '../../src/neuron/snapshot.js';
import type { LeaseFrame } from '../../src/protocol/frames.js';
import { scriptedPost } from './scripted-effects.js';

/** The gateway's refusal of an outcome POST, as the transport reports it. */
const statusError = (status: number, retryAfterMs?: number) =>
  new GatewayStatusError({ status, path: 'ack', retryAfterMs });

const frame: LeaseFrame = {
  type: 'lease',
  leaseId: 'l-1',
  capabilityType: 'acme/echo',
  task: { taskId: 't-1', input: { text: 'hi' } },
};

interface Script {
  /** What the schema check records (by default: the input fits). */
  validate?: (context: LeaseContext) => Partial<LeaseContext>;
  posts?: Array<() => Promise<void>>;
  refusal?: Outcome;
  ttlMs?: number;
}

function harness(script: Script = {}) {
  const log: string[] = [];
  const posted: PostOutcomeInput[] = [];
  const aborts: string[] = [];
  let settleHandler: ((outcome: Outcome) => void) | undefined;
  const posts = [...(script.posts ?? [])];
  const machine = leaseMachine.provide({
    actions: {
      postOutcome: scriptedPost(posted, () => (posts.shift() ?? (() => Promise.resolve()))()),
      validateInput: assign(({ context }: { context: LeaseContext }) =>
        script.validate ? script.validate(context) : { input: context.task.input },
      ),
      startHandler: ({ self }) => {
        log.push('handler:start');
        settleHandler = (outcome) => self.send({ type: 'handler.settled', outcome });
      },
      abortHandler: ({ context }) => aborts.push(context.abortReason ?? 'cancelled'),
      stopHandler: () => log.push('handler:stopped'),
      notifyQueued: () => log.push('queued'),
      notifySlotReleased: () => log.push('slot-released'),
      warnDropped: () => log.push('warn'),
    },
  });
  const now = Date.now();
  const actor = createActor(machine, {
    input: {
      frame,
      receivedAt: now,
      expiresAt: now + (script.ttlMs ?? 30_000),
      cancelGraceMs: 5_000,
      ...(script.refusal ? { refusal: script.refusal } : {}),
    },
  });
  actor.subscribe({
    complete: () => log.push(`settled:${actor.getSnapshot().output?.settlement}`),
  });
  return {
    actor,
    log,
    posted,
    aborts,
    settle: (outcome: Outcome) => settleHandler?.(outcome),
    state: () => stateString(actor.getSnapshot().value),
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('lease machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('validates, queues, runs when started, and acks what the handler returned', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    expect(h.state()).toBe('queued');
    h.actor.send({ type: 'start' });
    expect(h.state()).toBe('executing.running');
    h.settle({ kind: 'ack', output: { text: 'hi' } });
    await flush();
    expect(h.posted).toEqual([
      {
        leaseId: 'l-1',
        taskId: 't-1',
        capabilityType: 'acme/echo',
        outcome: { kind: 'ack', output: { text: 'hi' } },
        durationMs: 0,
      },
    ]);
    expect(h.log).toEqual([
      'queued',
      'handler:start',
      'slot-released',
      'handler:stopped',
      'settled:delivered',
    ]);
  });

  it('nacks schema-mismatch without running the handler when the input does not validate', async () => {
    const details = {
      phase: 'input' as const,
      errors: [{ path: '/text', message: 'must be string' }],
    };
    const h = harness({ validate: () => ({ outcome: inputMismatch(details) }) });
    h.actor.start();
    await flush();
    expect(h.posted[0]?.outcome).toEqual({
      kind: 'nack',
      nack: 'schema-mismatch',
      reason: 'input does not match the capability schema',
      details,
    });
    expect(h.log).not.toContain('handler:start');
  });

  it('nacks a queued lease cancelled at once, without running it', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'cancel', reason: 'workflow cancelled' });
    await flush();
    expect(h.posted[0]?.outcome).toMatchObject({ nack: 'cancelled', reason: 'workflow cancelled' });
    expect(h.log).not.toContain('handler:start');
  });

  it('fires the signal on cancel and nacks cancelled once the handler settles, whatever it returned', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.actor.send({ type: 'cancel' });
    expect(h.aborts).toEqual(['cancelled']);
    expect(h.state()).toBe('executing.cancelling');
    h.settle({ kind: 'ack', output: 1 });
    await flush();
    expect(h.posted[0]?.outcome).toMatchObject({ kind: 'nack', nack: 'cancelled' });
  });

  it('nacks cancelled after the grace period when a cancelled handler never settles', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.actor.send({ type: 'cancel' });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(h.posted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.posted[0]?.outcome).toMatchObject({ nack: 'cancelled' });
  });

  it('aborts a running handler on shutdown and nacks retryable SHUTDOWN at once', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.actor.send({ type: 'abort', reason: 'shutdown' });
    await flush();
    expect(h.aborts).toEqual(['shutdown']);
    expect(h.posted[0]?.outcome).toMatchObject({ nack: 'retryable', code: 'SHUTDOWN' });
  });

  it('nacks retryable CAPABILITY_REVOKED when its capability is revoked', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'abort', reason: 'revoked' });
    await flush();
    expect(h.posted[0]?.outcome).toMatchObject({ nack: 'retryable', code: 'CAPABILITY_REVOKED' });
  });

  it('posts no outcome for a lease the gateway reports lost', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.actor.send({ type: 'lost' });
    await flush();
    expect(h.aborts).toEqual(['lost']);
    expect(h.posted).toHaveLength(0);
    expect(h.log).toContain('settled:lost');
  });

  it('never runs a queued lease the gateway reports lost, and posts nothing for it', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    expect(h.state()).toBe('queued');
    h.actor.send({ type: 'lost' });
    h.actor.send({ type: 'start' });
    await flush();
    expect(h.state()).toBe('lost');
    expect(h.log).toEqual(['queued', 'settled:lost']);
    expect(h.posted).toHaveLength(0);
  });

  it('drops a queued lease whose deadline the pool reports passed, before it starts', async () => {
    const h = harness({ ttlMs: 1_000 });
    h.actor.start();
    await flush();
    h.actor.send({ type: 'expire' });
    h.actor.send({ type: 'start' });
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.log).not.toContain('handler:start');
    expect(h.posted).toHaveLength(0);
    expect(h.log.at(-1)).toBe('settled:expired');
  });

  it('retries the outcome POST on 5xx and honours Retry-After', async () => {
    const h = harness({
      posts: [
        () => Promise.reject(statusError(503)),
        () => Promise.reject(statusError(429, 2_000)),
      ],
    });
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.settle({ kind: 'ack', output: null });
    await flush();
    expect(h.posted).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.posted).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(h.posted).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.posted).toHaveLength(3);
    expect(h.log.at(-1)).toBe('settled:delivered');
  });

  it('drops the outcome with a warning on 409/410 and never retries it', async () => {
    const h = harness({ posts: [() => Promise.reject(statusError(410))] });
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.settle({ kind: 'ack', output: null });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.posted).toHaveLength(1);
    expect(h.log.slice(-2)).toEqual(['warn', 'settled:not-held']);
  });

  it('gives up on an outcome that cannot be delivered before the lease expires', async () => {
    const fail = () => Promise.reject(statusError(500));
    const h = harness({ ttlMs: 2_000, posts: [fail, fail, fail, fail] });
    h.actor.start();
    await flush();
    h.actor.send({ type: 'start' });
    h.settle({ kind: 'ack', output: null });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.posted.length).toBeGreaterThan(1);
    expect(h.log.at(-1)).toBe('settled:expired');
  });

  it('moves its deadline forward when a heartbeat renews it', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'renewed', expiresAt: 123_456 });
    expect(h.actor.getSnapshot().context.expiresAt).toBe(123_456);
    h.actor.send({ type: 'heartbeat-accepted', sentAt: 1_000 });
    expect(h.actor.getSnapshot().context.expiresAt).toBe(31_000);
  });

  it('goes straight to nacking a refused lease', async () => {
    const refusal: Outcome = {
      kind: 'nack',
      nack: 'retryable',
      reason: 'no',
      code: 'UNKNOWN_CAPABILITY',
    };
    const h = harness({ refusal });
    h.actor.start();
    await flush();
    expect(h.posted[0]?.outcome).toEqual(refusal);
  });
});
