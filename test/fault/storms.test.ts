/**
 * 429 (with `Retry-After`) and 5xx storms on every endpoint, and a gateway that is not there at
 * all (connection refused). What must hold: outcomes are retried until delivered or expired,
 * heartbeats keep their cadence, and no request loop runs faster than its backoff allows —
 * checked by counting requests per second against a bound derived from the settings.
 */

import { Neuron } from '@holokai/neuron-sdk';
import {
  createDevGateway,
  type DevGateway,
  type RequestRecord,
} from '@holokai/neuron-sdk/dev-gateway';
import { Agent, type Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { trackResources } from '../support/resources.js';
import { expectBooksSettled } from './support/books.js';
import { eventsNamed, lightHarness, TOKEN } from './support/light-harness.js';
import { gaps, maxInWindow } from './support/rate.js';
import { controlled, sleep } from './support/runs.js';

const ok = { type: 'acme/ok', scope: 'any', concurrency: 2 } as const;
const bad = { type: 'acme/bad', scope: 'any', concurrency: 2 } as const;
const at = (requests: RequestRecord[]) => requests.map((r) => r.at);

describe.concurrent('storms (concurrently)', () => {
  describe('429 and 5xx storms on the POST endpoints', () => {
    it('retries an ack and a nack answered 429 after the Retry-After each time, while heartbeats go on every tick', async (ctx) => {
      const { expect } = ctx;
      const h = await lightHarness(ctx, { gateway: { maxAttempts: 1 } });
      h.neuron.handle(ok, () => 'fine');
      h.neuron.handle(bad, () => {
        throw new Error('upstream down');
      });
      await h.start();
      h.gw.failNext('ack', { status: 429, retryAfter: '1', times: 2 });
      h.gw.failNext('nack', { status: 429, retryAfter: '1', times: 2 });
      const since = Date.now();
      const tasks = [
        h.gw.submitTask({ capabilityType: ok.type, input: 1 }),
        h.gw.submitTask({ capabilityType: bad.type, input: 2 }),
      ];
      for (const t of tasks) await h.gw.waitForTask(t.taskId, undefined, { timeoutMs: 6_000 });
      const elapsed = Date.now() - since;
      for (const path of ['ack', 'nack'] as const) {
        const posts = h.gw.requestsTo(path);
        expect(posts.map((r) => r.status)).toEqual([429, 429, 200]);
        // Retry-After: 1 → never two tries of one outcome within a second.
        for (const gap of gaps(at(posts))) expect(gap).toBeGreaterThanOrEqual(950);
        expect(maxInWindow(at(posts), 1_000)).toBe(1);
      }
      // Heartbeats every 200 ms the whole time: at least half the ticks, never a burst.
      const beats = at(h.gw.requestsTo('heartbeat')).filter((t) => t >= since);
      expect(beats.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 200 / 2));
      expect(maxInWindow(beats, 1_000)).toBeLessThanOrEqual(6);
      expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ acked: 1, nacked: 1 });
      await h.stop();
    });

    it('retries outcomes through a 5xx storm with a doubling backoff, beats through a heartbeat storm, and drops failed progress', async (ctx) => {
      const { expect } = ctx;
      const h = await lightHarness(ctx, { gateway: { maxAttempts: 1 } });
      // Each update waits for the one before to be answered: one still in flight when the next
      // is reported is coalesced with it, and what is pending when the handler returns is dropped.
      const progressAnswered = async (n: number): Promise<void> => {
        while (h.gw.requestsTo('progress').length < n) await sleep(10);
      };
      h.neuron.handle(ok, async (_input, ctx) => {
        ctx.progress({ percent: 50 });
        await progressAnswered(1);
        ctx.progress({ percent: 100 });
        await progressAnswered(2);
        return 'fine';
      });
      h.neuron.handle(bad, () => {
        throw new Error('upstream down');
      });
      await h.start();
      h.gw.failNext('ack', { status: 503, times: 3 });
      h.gw.failNext('nack', { status: 500, times: 3 });
      h.gw.failNext('heartbeat', { status: 502, times: 8 });
      h.gw.failNext('progress', { status: 503, times: 100 });
      const since = Date.now();
      const tasks = [
        h.gw.submitTask({ capabilityType: ok.type, input: 1 }),
        h.gw.submitTask({ capabilityType: bad.type, input: 2 }),
      ];
      for (const t of tasks) await h.gw.waitForTask(t.taskId, undefined, { timeoutMs: 8_000 });
      for (const path of ['ack', 'nack'] as const) {
        const posts = h.gw.requestsTo(path);
        expect(posts.map((r) => r.status)).toEqual([
          path === 'ack' ? 503 : 500,
          expect.any(Number),
          expect.any(Number),
          200,
        ]);
        // 500 ms, 1 s, 2 s: never sooner.
        const waited = gaps(at(posts));
        [500, 1_000, 2_000].forEach((min, i) => {
          expect(waited[i]).toBeGreaterThanOrEqual(min - 15);
        });
        expect(maxInWindow(at(posts), 1_000)).toBeLessThanOrEqual(2);
      }
      // The heartbeat storm: one try per tick, failures included, then 200s again.
      const beats = h.gw.requestsTo('heartbeat').filter((r) => r.at >= since);
      expect(beats.slice(0, 8).map((r) => r.status)).toEqual(Array(8).fill(502));
      expect(beats.slice(8).every((r) => r.status === 200)).toBe(true);
      expect(beats.length).toBeGreaterThan(10);
      for (const gap of gaps(at(beats))) expect(gap).toBeGreaterThanOrEqual(190);
      // Progress is advisory: each of the two updates is sent once, fails, and is dropped.
      expect(
        h.gw.requestsTo('progress').map((r) => [(r.body as { percent: number }).percent, r.status]),
      ).toEqual([
        [50, 503],
        [100, 503],
      ]);
      expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ acked: 1, nacked: 1 });
      await h.stop();
    }, 15_000);
  });

  describe('429 and 5xx storms on the SSE open and on register', () => {
    it('reopens a refused stream no faster than the doubling backoff, and waits a Retry-After', async (ctx) => {
      const { expect } = ctx;
      const initial = 100;
      const max = 1_500;
      const h = await lightHarness(ctx, {
        neuron: { initialReconnectDelayMs: initial, maxReconnectDelayMs: max },
      });
      h.neuron.handle(ok, () => 'fine');
      h.gw.failNext('events', { status: 503, times: 4 });
      await h.start();
      const opens = at(h.gw.requestsTo('events'));
      expect(h.gw.requestsTo('events').map((r) => r.status)).toEqual([503, 503, 503, 503, 200]);
      // Equal jitter: attempt n waits at least half of initial·2^(n−1).
      gaps(opens).forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual((initial * 2 ** i) / 2 - 15);
      });
      // Delays of at least 50, 100, 200, 400 ms: five tries can share a second, never six.
      expect(maxInWindow(opens, 1_000)).toBeLessThanOrEqual(5);

      // A 429 with Retry-After on the open: the next attempt waits for it (capped at the maximum).
      h.gw.failNext('events', { status: 429, retryAfter: '1' });
      const registered = h.gw.waitFor('registered');
      h.gw.dropStream('neuron-1');
      await registered;
      const reopen = h.gw.requestsTo('events').slice(-2);
      expect(reopen.map((r) => r.status)).toEqual([429, 200]);
      expect(reopen[1]!.at - reopen[0]!.at).toBeGreaterThanOrEqual(990);
      const reconnects = eventsNamed(h.events, 'connection:reconnecting').map(([r]) => r);
      expect(reconnects.at(-1)).toMatchObject({ delayMs: 1_000 });
      const done = await h.gw.waitForTask(
        h.gw.submitTask({ capabilityType: ok.type, input: 1 }).taskId,
      );
      expect(done.state).toBe('acked');
      await h.stop();
    });

    it('backs off between registers refused 5xx, each on a fresh stream, then registers', async (ctx) => {
      const { expect } = ctx;
      const h = await lightHarness(ctx, {
        neuron: { initialReconnectDelayMs: 100, maxReconnectDelayMs: 800 },
      });
      h.neuron.handle(ok, () => 'fine');
      h.gw.failNext('register', { status: 503, times: 3 });
      await h.start();
      const registers = h.gw.requestsTo('register');
      expect(registers.map((r) => r.status)).toEqual([503, 503, 503, 202]);
      expect(h.gw.requestsTo('events')).toHaveLength(4);
      gaps(at(registers)).forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual((100 * 2 ** i) / 2 - 15);
      });
      expect(maxInWindow(at(registers), 1_000)).toBeLessThanOrEqual(4);
      await h.stop();
    });
  });
});

/** An undici Agent that records every request it dispatches: the wire as the client sees it. */
function countingDispatcher() {
  const agent = new Agent();
  const sent: Array<{ path: string; at: number }> = [];
  const dispatcher = agent.compose((dispatch: Dispatcher['dispatch']) => (options, handler) => {
    sent.push({ path: String(options.path).replace(/\?.*$/, ''), at: Date.now() });
    return dispatch(options, handler);
  });
  return { dispatcher, sent, close: () => agent.close() };
}

describe('connection refused (tracks leftovers: runs alone)', () => {
  it('retries the open no faster than its backoff and an ack until the lease expires, then recovers when the gateway is back', async () => {
    const initial = 50;
    const max = 400;
    let gw: DevGateway = await createDevGateway({ token: TOKEN, leaseTtlMs: 2_500 });
    const port = Number(new URL(gw.url).port);
    const resources = trackResources();
    const wire = countingDispatcher();
    const neuron = new Neuron({
      gatewayUrl: gw.url,
      neuronId: 'n-refused',
      auth: () => TOKEN,
      dispatcher: wire.dispatcher,
      heartbeatIntervalMs: 200,
      initialReconnectDelayMs: initial,
      maxReconnectDelayMs: max,
    });
    const c = controlled();
    neuron.handle(ok, (input, ctx) => (input === 'hold' ? c.handler(input, ctx) : 'fine'));
    const settled: Array<{ settlement: string; leaseId: string }> = [];
    neuron.on('lease:settled', (s) => settled.push(s));
    neuron.on('error', () => {});
    try {
      const registered = gw.waitFor('registered');
      await neuron.start();
      await registered;
      const leased = gw.waitFor('lease');
      gw.submitTask({ capabilityType: ok.type, input: 'hold' });
      const { leaseId, taskId } = await leased;
      const run = await c.started(taskId);
      const leasedAt = Date.now();
      await gw.close(); // nothing listens on the port any more
      const downAt = Date.now();
      run.release('done');
      // The ack is retried (500 ms, 1 s, …) until the next try would land past expiresAt.
      await expect
        .poll(() => settled, { timeout: 6_000 })
        .toEqual([expect.objectContaining({ leaseId, settlement: 'expired' })]);
      expect(Date.now() - leasedAt).toBeLessThan(2_500 + 500);
      const acks = wire.sent.filter((s) => s.path.endsWith('/ack'));
      expect(acks.length).toBeGreaterThanOrEqual(2);
      [500, 1_000].slice(0, acks.length - 1).forEach((min, i) => {
        expect(gaps(acks.map((a) => a.at))[i]).toBeGreaterThanOrEqual(min - 15);
      });
      await sleep(1_000);
      // Opens against a closed port: never more than a backoff allows (≥ max/2 apart at most rates).
      const opens = wire.sent.filter((s) => s.path.endsWith('/events') && s.at >= downAt);
      expect(opens.length).toBeGreaterThanOrEqual(4);
      gaps(opens.map((o) => o.at)).forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual(Math.min(max, initial * 2 ** i) / 2 - 15);
      });
      console.info(
        `connection refused: opens in the busiest second ${maxInWindow(
          opens.map((o) => o.at),
          1_000,
        )}, all requests ${maxInWindow(
          wire.sent.map((x) => x.at),
          1_000,
        )}`,
      );
      const bound = Math.ceil(1_000 / (max / 2)) + 3; // the first few short delays, then ≥ max/2
      expect(
        maxInWindow(
          opens.slice(4).map((o) => o.at),
          1_000,
        ),
      ).toBeLessThanOrEqual(bound);
      expect(
        maxInWindow(
          wire.sent.map((s) => s.at),
          1_000,
        ),
      ).toBeLessThanOrEqual(20);

      // The gateway comes back on the same port: the neuron registers and serves again.
      // (Lease ids of its own: the neuron ignores ids it has settled, like the first gateway's l-1.)
      gw = await createDevGateway({ token: TOKEN, port, leaseIdPrefix: 'l-again-' });
      const again = gw.waitFor('registered', undefined, { timeoutMs: max + 1_000 });
      await again;
      const task = gw.submitTask({ capabilityType: ok.type, input: 'x' });
      expect((await gw.waitForTask(task.taskId)).state).toBe('acked');
      expect(expectBooksSettled(gw.tasks())).toMatchObject({ acked: 1 });
      await neuron.stop();
    } finally {
      await neuron.stop({ drain: false });
      await wire.close();
      await gw.close();
    }
    await expect.poll(() => resources.sdkLeftovers(), { timeout: 2_000 }).toEqual([]);
    resources.stop();
  }, 20_000);
});
