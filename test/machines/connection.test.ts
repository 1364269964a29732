import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { connectionMachine, reconnectDelay } from '../../machines/connection.js';
import { GatewayStatusError, NeuronError } from '../../src/errors.js';
import { stateString } from '../../src/neuron/snapshot.js';

const settings = { initialReconnectDelayMs: 100, maxReconnectDelayMs: 1_000, idleTimeoutMs: 5_000 };

/** The gateway's refusal, as the transport reports it. */
const statusError = (status: number, more: { gatewayCode?: string; retryAfterMs?: number } = {}) =>
  new GatewayStatusError({ status, path: 'events', ...more });

/** A connection with scripted effects; records what it tells its parent and what it does. */
function harness(
  script: { open?: Array<() => Promise<void>>; register?: Array<() => Promise<void>> } = {},
) {
  const log: string[] = [];
  const opens = [...(script.open ?? [])];
  const registers = [...(script.register ?? [])];
  const machine = connectionMachine.provide({
    actors: {
      openStream: fromPromise(() => {
        log.push('open');
        return (opens.shift() ?? (() => Promise.resolve()))();
      }),
      register: fromPromise(() => {
        log.push('register');
        return (registers.shift() ?? (() => Promise.resolve()))();
      }),
    },
    actions: {
      closeStream: () => log.push('closeStream'),
      notifyOpen: () => log.push('notify:open'),
      notifyRegistered: ({ context }) => log.push(`notify:registered:${context.sessionId}`),
      notifyClosed: ({ context }) => log.push(`notify:closed:${context.reason}`),
      notifyReconnecting: ({ context }) =>
        log.push(`notify:reconnecting:${context.attempt}:${context.delayMs}`),
      notifyError: () => log.push('notify:error'),
    },
  });
  const actor = createActor(machine, { input: { settings } });
  const state = () => stateString(actor.getSnapshot().value);
  return { actor, log, state };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('connection machine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('opens the stream, posts register, and counts as registered when the registered frame arrives', async () => {
    const { actor, log, state } = harness();
    actor.start();
    await flush();
    expect(state()).toBe('open.session.registering,liveness.watching');
    actor.send({ type: 'registered', sessionId: 's-1' });
    expect(state()).toBe('open.session.registered,liveness.watching');
    expect(log).toEqual(['open', 'notify:open', 'register', 'notify:registered:s-1']);
  });

  it('refreshes auth once on a 401 at open, and backs off on the second', async () => {
    const unauthorized = () => Promise.reject(statusError(401));
    const { actor, log, state } = harness({ open: [unauthorized, unauthorized] });
    actor.start();
    await flush();
    expect(log.slice(0, 2)).toEqual(['open', 'open']);
    expect(state()).toBe('backoff');
    expect(log).toContain('notify:reconnecting:1:100');
  });

  it('backs off with the maximum delay after a 403 at open and reports it', async () => {
    const { actor, log, state } = harness({ open: [() => Promise.reject(statusError(403))] });
    actor.start();
    await flush();
    expect(state()).toBe('backoff');
    expect(log).toContain('notify:error');
    expect(log).toContain(`notify:reconnecting:1:${settings.maxReconnectDelayMs}`);
  });

  it('doubles the delay per consecutive failure, capped, and resets it once registered', async () => {
    const fail = () => Promise.reject(new Error('ECONNREFUSED'));
    const { actor, log } = harness({ open: [fail, fail, fail, fail, fail] });
    actor.start();
    await flush();
    for (const delay of [100, 200, 400, 800]) await vi.advanceTimersByTimeAsync(delay);
    const delays = log
      .filter((l) => l.startsWith('notify:reconnecting'))
      .map((l) => l.split(':')[3]);
    expect(delays).toEqual(['100', '200', '400', '800', '1000']);
    await vi.advanceTimersByTimeAsync(1_000);
    actor.send({ type: 'registered', sessionId: 's-2' });
    expect(actor.getSnapshot().context.attempt).toBe(0);
  });

  it('goes to backoff when the stream closes, and reconnects after the delay', async () => {
    const { actor, log, state } = harness();
    actor.start();
    await flush();
    actor.send({ type: 'registered', sessionId: 's-1' });
    actor.send({ type: 'stream.closed', reason: 'stream ended' });
    expect(state()).toBe('backoff');
    expect(log).toContain('notify:closed:stream ended');
    expect(log.filter((l) => l === 'open')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(log.filter((l) => l === 'open')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.filter((l) => l === 'open')).toHaveLength(2);
  });

  it('uses a disconnect frame’s reconnectAfterMs as the next delay', async () => {
    const { actor, log } = harness();
    actor.start();
    await flush();
    actor.send({ type: 'disconnect', reason: 'restarting', reconnectAfterMs: 700 });
    expect(log).toContain('notify:reconnecting:1:700');
  });

  it('uses a retry: hint as the next delay, capped by the maximum', async () => {
    const { actor, log } = harness();
    actor.start();
    await flush();
    actor.send({ type: 'retry-hint', delayMs: 5_000 });
    actor.send({ type: 'stream.closed', reason: 'gone' });
    expect(log).toContain('notify:reconnecting:1:1000');
  });

  it('holds a hint of 0 ms (retry: 0, reconnectAfterMs: 0, Retry-After: 0) to the initial delay', async () => {
    const { actor, log } = harness({
      open: [() => Promise.resolve(), () => Promise.reject(statusError(503, { retryAfterMs: 0 }))],
    });
    actor.start();
    await flush();
    actor.send({ type: 'retry-hint', delayMs: 0 });
    actor.send({ type: 'stream.closed', reason: 'gone' });
    expect(log).toContain('notify:reconnecting:1:100');
    await vi.advanceTimersByTimeAsync(100);
    expect(log.at(-1)).toBe('notify:reconnecting:2:100');
    actor.send({ type: 'stop' });
  });

  it('backs off with the maximum delay, and reports nothing more, when the credential was revoked', async () => {
    const revoked = new NeuronError('NEURON_ERR_CREDENTIAL_REVOKED', 're-enroll');
    const { actor, log } = harness({ open: [() => Promise.reject(revoked)] });
    actor.start();
    await flush();
    expect(log).toContain('notify:reconnecting:1:1000');
    expect(log).not.toContain('notify:error');
    actor.send({ type: 'stop' });
  });

  it('declares a silent stream dead after idleTimeoutMs, but not while bytes arrive', async () => {
    const { actor, state } = harness();
    actor.start();
    await flush();
    actor.send({ type: 'registered', sessionId: 's-1' });
    await vi.advanceTimersByTimeAsync(4_000);
    actor.send({ type: 'stream.activity' });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(state()).toBe('open.session.registered,liveness.watching');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state()).toBe('backoff');
  });

  it('re-registers when a heartbeat finds the session lost', async () => {
    const { actor, log, state } = harness();
    actor.start();
    await flush();
    actor.send({ type: 'registered', sessionId: 's-1' });
    actor.send({ type: 'session-lost' });
    expect(state()).toBe('open.session.registering,liveness.watching');
    expect(log.filter((l) => l === 'register')).toHaveLength(2);
  });

  it('reconnects on 409 NO_STREAM at register, and stays open but lease-less on 403', async () => {
    const noStream = harness({
      register: [() => Promise.reject(statusError(409, { gatewayCode: 'NO_STREAM' }))],
    });
    noStream.actor.start();
    await flush();
    expect(noStream.state()).toBe('backoff');

    const refused = harness({
      register: [() => Promise.reject(statusError(403, { gatewayCode: 'CAPABILITY_DENIED' }))],
    });
    refused.actor.start();
    await flush();
    expect(refused.state()).toBe('open.session.rejected,liveness.watching');
    expect(refused.log).toContain('notify:error');
  });

  it('backs off when a POST is refused twice with 401, reporting it once per streak', async () => {
    const { actor, state, log } = harness();
    const rejected = { type: 'auth-rejected' as const, error: statusError(401) };
    actor.start();
    await flush();
    actor.send({ type: 'registered', sessionId: 's-1' });
    actor.send(rejected);
    expect(state()).toBe('backoff');
    expect(log.filter((l) => l === 'notify:error')).toHaveLength(1);
    // Still rejected after the reconnect: the same streak, no second report…
    await vi.advanceTimersByTimeAsync(1_000);
    actor.send(rejected);
    expect(log.filter((l) => l === 'notify:error')).toHaveLength(1);
    // …until a registration ends it.
    await vi.advanceTimersByTimeAsync(1_000);
    actor.send({ type: 'registered', sessionId: 's-2' });
    actor.send(rejected);
    expect(log.filter((l) => l === 'notify:error')).toHaveLength(2);
    actor.send({ type: 'stop' });
  });

  it('reports a token rejected on the open and its retry once per streak', async () => {
    const unauthorized = () => Promise.reject(statusError(401));
    const { actor, log } = harness({
      open: [unauthorized, unauthorized, unauthorized, unauthorized],
    });
    actor.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(log.filter((l) => l === 'open').length).toBeGreaterThanOrEqual(4);
    expect(log.filter((l) => l === 'notify:error')).toHaveLength(1);
    actor.send({ type: 'stop' });
  });

  it('stops from any state and closes the stream', async () => {
    const { actor, log } = harness();
    actor.start();
    await flush();
    actor.send({ type: 'stop' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(log.at(-1)).toBe('closeStream');
  });
});

describe('reconnectDelay', () => {
  it('stays within [d/2, d] for d = initial·2^(attempt−1), capped at the maximum', () => {
    expect(reconnectDelay(1, settings, 0)).toBe(50);
    expect(reconnectDelay(1, settings, 1)).toBe(100);
    expect(reconnectDelay(3, settings, 1)).toBe(400);
    expect(reconnectDelay(10, settings, 1)).toBe(1_000);
    expect(reconnectDelay(10, settings, 0)).toBe(500);
  });
});
