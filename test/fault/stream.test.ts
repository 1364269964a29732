/**
 * The SSE stream misbehaving: it stalls (no bytes at all, pings included), events arrive
 * half-written or byte by byte, and the stream is closed in the middle of an event.
 */
import { describe, it } from 'vitest';
import { expectBooksSettled } from './support/books.js';
import {
  eventsNamed,
  type LightHarness as Harness,
  lightHarness,
} from './support/light-harness.js';
import { controlled, sleep } from './support/runs.js';

const echo = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;

function leaseEvent(leaseId: string, id?: string): string {
  const frame = {
    type: 'lease',
    leaseId,
    capabilityType: echo.type,
    task: { taskId: `t-${leaseId}`, input: leaseId },
    expiresAt: new Date(Date.now() + 30_000).toISOString(),
  };
  return `${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(frame)}\n\n`;
}

const received = (h: Harness) => eventsNamed(h.events, 'lease:received').map(([r]) => r.leaseId);

describe.concurrent('a stalled stream', () => {
  it('is detected by the idle timeout, reopened, and what the gateway sent meanwhile is replayed and settled', async (ctx) => {
    const { expect } = ctx;
    const idleTimeoutMs = 600;
    const h = await lightHarness(ctx, { neuron: { idleTimeoutMs } });
    const c = controlled();
    h.neuron.handle(echo, c.handler);
    await h.start();
    const before = h.gw.submitTask({ capabilityType: echo.type, input: 'running' });
    const running = await c.started(before.taskId);
    const stalledAt = Date.now();
    h.gw.stallStream('neuron-1');
    // Dispatched into the stall: buffered by the gateway, never written.
    const during = h.gw.submitTask({ capabilityType: echo.type, input: 'during' });
    await h.gw.waitForTask(during.taskId, ['leased']);
    await expect
      .poll(() => eventsNamed(h.events, 'connection:close'), { timeout: 3_000 })
      .toHaveLength(1);
    const detectedAfter = Date.now() - stalledAt;
    expect(detectedAfter).toBeGreaterThanOrEqual(idleTimeoutMs - 50);
    expect(detectedAfter).toBeLessThan(idleTimeoutMs + idleTimeoutMs / 4 + 300);
    expect(eventsNamed(h.events, 'connection:close')[0]![0]).toMatch(
      /no bytes on the stream for 600 ms/,
    );
    await expect.poll(() => eventsNamed(h.events, 'connection:registered')).toHaveLength(2);
    // The reopen carried Last-Event-ID, so the lease written into the stall is replayed.
    expect(h.gw.requestsTo('events')[1]!.headers['last-event-id']).toBeDefined();
    (await c.started(during.taskId)).release();
    expect(running.ctx.signal.aborted).toBe(false);
    running.release();
    for (const t of [before, during])
      expect((await h.gw.waitForTask(t.taskId)).state).toBe('acked');
    expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ acked: 2 });
    await h.stop();
  });
});

describe.concurrent('half-written frames', () => {
  it('assembles an event delivered in pieces, byte by byte, and across a pause', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, { neuron: { heartbeatIntervalMs: 60_000 } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const text = leaseEvent('l-pieces');
    const half = Math.floor(text.length / 2);
    h.gw.sendRaw('neuron-1', text.slice(0, half));
    await sleep(150);
    expect(received(h)).toEqual([]);
    h.gw.sendRaw('neuron-1', text.slice(half));
    for (const ch of leaseEvent('l-bytes')) h.gw.sendRaw('neuron-1', ch);
    // Non-ASCII text and CRLF line ends, each CR and LF in a write of its own.
    for (const ch of leaseEvent('l-ünïcødé').replace(/\n/g, '\r\n')) h.gw.sendRaw('neuron-1', ch);
    await expect.poll(() => received(h)).toEqual(['l-pieces', 'l-bytes', 'l-ünïcødé']);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe.concurrent('a stream closed in the middle of an event', () => {
  it('discards the partial event when the connection drops, keeps the last complete event id, and reads the next stream cleanly', async (ctx) => {
    const { expect } = ctx;
    const h = await lightHarness(ctx, { neuron: { heartbeatIntervalMs: 60_000 } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    h.gw.sendRaw('neuron-1', leaseEvent('l-whole', '900'));
    await expect.poll(() => received(h)).toEqual(['l-whole']);
    const cut = leaseEvent('l-cut', '901');
    h.gw.sendRaw('neuron-1', cut.slice(0, cut.length - 20));
    await sleep(50);
    const registered = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    await registered;
    // The cut event was never dispatched: its id is not the Last-Event-ID, it is not a lease.
    expect(h.gw.requestsTo('events')[1]!.headers['last-event-id']).toBe('900');
    // Nothing of it leaks into the new stream's first event.
    const task = h.gw.submitTask({ capabilityType: echo.type, input: 'next' });
    expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
    expect(received(h)).toEqual(['l-whole', task.leaseId ?? h.gw.task(task.taskId)!.leaseId]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});
