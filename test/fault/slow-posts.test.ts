/**
 * A gateway that answers slowly or never: `requestTimeoutMs` (default 10 000) bounds every POST,
 * so a hung gateway cannot stall heartbeats, outcomes or the drain.
 */
import { describe, it } from 'vitest';
import { expectBooksSettled } from './support/books.js';
import { eventsNamed, lightHarness } from './support/light-harness.js';
import { gaps } from './support/rate.js';

const echo = { type: 'acme/echo', scope: 'any', concurrency: 1 } as const;
const TIMEOUT = 300;

describe.concurrent('slow POSTs against requestTimeoutMs', () => {
  it('gives up a heartbeat the gateway holds past requestTimeoutMs, and beats again on the next tick', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, {
      neuron: { heartbeatIntervalMs: 200, requestTimeoutMs: TIMEOUT },
    });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    h.gw.failNext('heartbeat', { status: 200, body: {}, delayMs: 5_000, times: 3 });
    await expect
      .poll(
        () => h.gw.requestsTo('heartbeat').filter((r) => r.status === 200 && !r.abandoned).length,
        {
          timeout: 3_000,
        },
      )
      .toBeGreaterThanOrEqual(2);
    const beats = h.gw.requestsTo('heartbeat');
    const abandoned = beats.filter((r) => r.abandoned);
    expect(abandoned).toHaveLength(3);
    // Arrival order: each hung beat waited TIMEOUT, then the interval, then the next went out.
    const hung = beats
      .filter((r) => r.abandoned)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    for (const gap of gaps(hung)) {
      expect(gap).toBeGreaterThanOrEqual(TIMEOUT + 200 - 20);
      expect(gap).toBeLessThan(TIMEOUT + 200 + 300);
    }
    // The neuron stayed connected: a hung heartbeat is not a dead stream.
    expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([]);
    await h.stop();
  });

  it('gives up an ack the gateway holds, retries it with the backoff and delivers it', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, {
      neuron: { heartbeatIntervalMs: 60_000, requestTimeoutMs: TIMEOUT },
    });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    h.gw.failNext('ack', { status: 200, body: {}, delayMs: 5_000, times: 2 });
    const task = h.gw.submitTask({ capabilityType: echo.type, input: 'slow' });
    const done = await h.gw.waitForTask(task.taskId, undefined, { timeoutMs: 5_000 });
    expect(done.state).toBe('acked');
    const acks = h.gw.requestsTo('ack').sort((a, b) => a.at - b.at);
    expect(acks.map((r) => r.abandoned ?? false)).toEqual([true, true, false]);
    const waited = gaps(acks.map((r) => r.at));
    expect(waited[0]).toBeGreaterThanOrEqual(TIMEOUT + 500 - 20);
    expect(waited[1]).toBeGreaterThanOrEqual(TIMEOUT + 1_000 - 20);
    expect(new Set(acks.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ acked: 1 });
    await h.stop();
  });
});
