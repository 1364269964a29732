/**
 * 401 storms and a misbehaving `auth` callback (throws, returns '', takes 10 s, never returns):
 * errors are reported, the backoff is respected (requests counted per second against it), a
 * slow callback holds up neither heartbeats nor `stop()`, and the neuron recovers with auth.
 */
import { AuthCallbackError } from '@holokai/neuron-sdk';
import { describe, it } from 'vitest';
import { trackResources } from '../support/resources.js';
import { eventsNamed, lightHarness, TOKEN } from './support/light-harness.js';
import { gaps, maxInWindow } from './support/rate.js';
import { sleep } from './support/runs.js';

const echo = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;
const INITIAL = 100;
const MAX = 400;
const backoff = { initialReconnectDelayMs: INITIAL, maxReconnectDelayMs: MAX };
/** Equal jitter: the n-th consecutive failure waits at least half of initial·2^(n−1), capped. */
const minDelay = (n: number) => Math.min(MAX, INITIAL * 2 ** (n - 1)) / 2;

describe.concurrent('auth faults (concurrently)', () => {
  describe('401 storms', () => {
    it('on the SSE open: one immediate retry with a fresh token, then the backoff, until the gateway accepts', async (ctx) => {
      const { expect } = ctx;
      const h = await lightHarness(ctx, { neuron: backoff });
      h.neuron.handle(echo, (input) => input);
      h.gw.failNext('events', { status: 401, times: 8 });
      await h.start();
      const opens = h.gw.requestsTo('events');
      expect(opens.map((r) => r.status)).toEqual([...Array(8).fill(401), 200]);
      const waited = gaps(opens.map((r) => r.at));
      // Pairs: the retry "at once" after the first 401, then a backoff after the second.
      waited.forEach((gap, i) => {
        if (i % 2 === 0) expect(gap).toBeLessThan(100);
        else expect(gap).toBeGreaterThanOrEqual(minDelay((i + 1) / 2) - 15);
      });
      // Nine opens take at least the four backoffs between the pairs: no tighter loop.
      const span = opens.at(-1)!.at - opens[0]!.at;
      expect(span).toBeGreaterThanOrEqual(
        [1, 2, 3, 4].reduce((sum, n) => sum + minDelay(n), 0) - 30,
      );
      // Every open called auth afresh.
      expect(h.authCalls()).toBeGreaterThanOrEqual(9);
      const reasons = eventsNamed(h.events, 'connection:reconnecting').map(([r]) => r.reason);
      expect(reasons).toHaveLength(4);
      for (const reason of reasons) expect(reason).toMatch(/401/);
      await h.stop();
    });

    it('on POSTs: the second 401 in a row sends the connection to backoff, cycle after cycle, and it recovers', async (ctx) => {
      const { expect } = ctx;
      const h = await lightHarness(ctx, { neuron: { ...backoff, heartbeatIntervalMs: 100 } });
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('heartbeat', { status: 401, times: 6 });
      await expect
        .poll(() => eventsNamed(h.events, 'connection:registered').length, { timeout: 5_000 })
        .toBe(4);
      const beats = h.gw.requestsTo('heartbeat');
      expect(beats.slice(0, 6).map((r) => r.status)).toEqual(Array(6).fill(401));
      // Each 401 pair is one heartbeat and its immediate retry; pairs are a reconnect apart.
      const waited = gaps(beats.slice(0, 6).map((r) => r.at));
      expect(waited[0]).toBeLessThan(100);
      expect(waited[1]).toBeGreaterThanOrEqual(minDelay(1) - 15);
      expect(h.gw.requestsTo('events')).toHaveLength(4);
      const task = h.gw.submitTask({ capabilityType: echo.type, input: 'after' });
      expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
      await h.stop();
    });
  });

  describe('an auth callback that fails', () => {
    for (const [what, fail] of [
      [
        'throws',
        () => {
          throw new Error('vault unreachable');
        },
      ],
      ['returns an empty string', () => ''],
    ] as const) {
      it(`that ${what}: reported each time, retried no faster than the backoff, recovered from`, async (ctx) => {
        const { expect } = ctx;
        let failing = true;
        const calls: number[] = [];
        const h = await lightHarness(ctx, {
          neuron: backoff,
          auth: () => {
            calls.push(Date.now());
            return failing ? fail() : TOKEN;
          },
        });
        h.neuron.handle(echo, (input) => input);
        await h.neuron.start();
        await sleep(1_500);
        const failed = [...calls];
        expect(failed.length).toBeGreaterThanOrEqual(4);
        failed.slice(1).forEach((t, i) => {
          expect(t - failed[i]!).toBeGreaterThanOrEqual(minDelay(i + 1) - 15);
        });
        // Once at the maximum, at most one try per MAX/2.
        expect(maxInWindow(failed.slice(3), 1_000)).toBeLessThanOrEqual(1_000 / (MAX / 2) + 1);
        expect(h.errors.length).toBe(failed.length);
        for (const err of h.errors) expect(err).toBeInstanceOf(AuthCallbackError);
        expect(h.gw.requests).toEqual([]); // nothing went out without a token
        const registered = h.gw.waitFor('registered', undefined, { timeoutMs: MAX + 2_000 });
        failing = false;
        await registered;
        await h.stop();
      });
    }

    it('that takes 10 s: given up after requestTimeoutMs and reported; heartbeats keep their cadence and stop() does not wait for it', async (ctx) => {
      const { expect } = ctx;
      let slow = false;
      const pending = new Set<NodeJS.Timeout>();
      const slowCalls: number[] = [];
      const h = await lightHarness(ctx, {
        neuron: { ...backoff, heartbeatIntervalMs: 200, requestTimeoutMs: 300 },
        auth: () => {
          if (!slow) return TOKEN;
          slowCalls.push(Date.now());
          return new Promise<string>((resolve) => {
            const timer = setTimeout(() => {
              pending.delete(timer);
              resolve(TOKEN);
            }, 10_000);
            pending.add(timer);
          });
        },
      });
      try {
        h.neuron.handle(echo, (input) => input);
        await h.start();
        slow = true;
        const since = Date.now();
        await sleep(2_000);
        // One heartbeat try per tick + the 300 ms auth bound: about 4 in 2 s, never stuck on one.
        expect(slowCalls.length).toBeGreaterThanOrEqual(3);
        gaps(slowCalls).forEach((gap) => {
          expect(gap).toBeGreaterThanOrEqual(450);
        });
        const timeouts = h.errors.filter((e) => /did not return within 300 ms/.test(e.message));
        expect(timeouts.length).toBeGreaterThanOrEqual(3);
        expect(h.gw.requestsTo('heartbeat').filter((r) => r.at > since + 50)).toEqual([]);
        slow = false;
        await h.gw.waitFor('request', (r) => r.path === 'heartbeat');
        // Stop while the next tick's auth call hangs: stop() abandons it rather than waiting out
        // the 300 ms bound.
        const hung = slowCalls.length;
        slow = true;
        await expect.poll(() => slowCalls.length, { interval: 5 }).toBeGreaterThan(hung);
        const started = Date.now();
        await h.neuron.stop({ timeoutMs: 1_000 });
        expect(Date.now() - started).toBeLessThan(200);
      } finally {
        await h.stop();
        for (const timer of pending) clearTimeout(timer);
      }
    });

    it('that never returns: each open is given up after requestTimeoutMs and the connection keeps backing off', async (ctx) => {
      const { expect } = ctx;
      const h = await lightHarness(ctx, {
        neuron: { ...backoff, requestTimeoutMs: 200 },
        auth: () => new Promise<string>(() => {}),
      });
      h.neuron.handle(echo, (input) => input);
      await h.neuron.start();
      await expect
        .poll(() => eventsNamed(h.events, 'connection:reconnecting').length, { timeout: 3_000 })
        .toBeGreaterThanOrEqual(3);
      expect(h.errors[0]).toMatchObject({
        code: 'NEURON_ERR_AUTH_CALLBACK',
        message: 'the auth callback did not return within 200 ms',
      });
      await h.stop();
    });
  });
});

describe('an auth callback that never returns (tracks leftovers: runs alone)', () => {
  it('that never returns: stop() still finishes at once, with nothing of the SDK left (regression: the open awaited auth without a bound)', async (ctx) => {
    const { expect } = ctx;
    const resources = trackResources();
    const h = await lightHarness(ctx, { auth: () => new Promise<string>(() => {}) });
    h.neuron.handle(echo, (input) => input);
    await h.neuron.start(); // default requestTimeoutMs: 10 s
    await sleep(100);
    const started = Date.now();
    await h.neuron.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(h.errors).toEqual([]); // abandoning the call on stop() is not an error
    await expect.poll(() => resources.sdkLeftovers(), { timeout: 2_000 }).toEqual([]);
    resources.stop();
    await h.stop();
  });
});
