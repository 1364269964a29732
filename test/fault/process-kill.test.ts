/**
 * The gateway process dies (SIGKILL) and a new one starts on the same port, once while a
 * handler runs and once while its ack is on the wire. The neuron must reconnect within its
 * backoff bounds, register again, keep its handler running, and post the outcome.
 *
 * What the gateway can know: the restarted process has empty books (the dev gateway keeps them in
 * memory), so it cannot know the lease the neuron still holds. It says so whichever way reaches
 * it first: it answers the lease's outcome `410 LEASE_NOT_HELD` (settlement `not-held`), or lists
 * the lease in a heartbeat answer's `lost` (settlement `lost`: the signal fires with reason `lost`
 * and no outcome is posted, as PROTOCOL.md requires). A production gateway keeps its books and redelivers a task whose lease
 * expired; here the test plays that durable store and submits the task again under its taskId.
 * "Never lost" is then checked on both sides: the neuron posted the old lease's outcome until a
 * gateway answered it (never dropped it silently), and the redelivered task ended acked in the
 * restarted gateway's books.
 */
import { Neuron, type NeuronEventMap } from '@holokai/neuron-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { trackResources } from '../support/resources.js';
import { expectBooksSettled } from './support/books.js';
import { GatewayProcess, killGatewayProcesses } from './support/gateway-process.js';
import { controlled, sleep } from './support/runs.js';

const TOKEN = 'fault-token-kill';
const INITIAL = 50;
const MAX = 400;
const work = { type: 'acme/work', scope: 'any', concurrency: 2 } as const;

const neurons: Neuron[] = [];
afterEach(async () => {
  await Promise.all(neurons.splice(0).map((n) => n.stop({ drain: false }).catch(() => {})));
  await killGatewayProcesses();
});

async function setup() {
  const gp = await GatewayProcess.start({ token: TOKEN });
  const resources = trackResources();
  const neuron = new Neuron({
    gatewayUrl: gp.url,
    neuronId: 'n-kill',
    auth: () => TOKEN,
    heartbeatIntervalMs: 200,
    initialReconnectDelayMs: INITIAL,
    maxReconnectDelayMs: MAX,
    requestTimeoutMs: 1_000,
    idleTimeoutMs: 3_000,
  });
  neurons.push(neuron);
  const c = controlled();
  neuron.handle(work, c.handler);
  const reconnects: NeuronEventMap['connection:reconnecting'][0][] = [];
  const registeredAt: number[] = [];
  const settled: NeuronEventMap['lease:settled'][0][] = [];
  neuron.on('connection:reconnecting', (info) => reconnects.push(info));
  neuron.on('connection:registered', () => registeredAt.push(Date.now()));
  neuron.on('lease:settled', (info) => settled.push(info));
  neuron.on('error', () => {});
  await neuron.start();
  await expect.poll(() => registeredAt.length, { timeout: 5_000 }).toBe(1);
  return { gp, neuron, c, reconnects, registeredAt, settled, resources };
}

/** Every scheduled delay within [initial/2, max]: equal jitter, capped. */
function expectWithinBackoffBounds(reconnects: Array<{ delayMs: number }>): void {
  expect(reconnects.length).toBeGreaterThan(0);
  for (const r of reconnects) {
    expect(r.delayMs).toBeGreaterThanOrEqual(INITIAL / 2);
    expect(r.delayMs).toBeLessThanOrEqual(MAX);
  }
}

/** The restarted gateway disowned the lease: 410 on its outcome, or `lost` in a heartbeat answer. */
function expectDisowned(info: { settlement: string } | undefined): void {
  expect(['not-held', 'lost']).toContain(info?.settlement);
}

describe('the gateway process is killed (SIGKILL) and restarted on the same port', () => {
  it('mid-lease: the neuron reconnects within its backoff, registers again, keeps the handler running, and the task ends acked', async () => {
    const { gp, neuron, c, reconnects, registeredAt, settled, resources } = await setup();
    const input = { n: 1 };
    await gp.submit({ capabilityType: work.type, input, taskId: 't-mid-lease' });
    const first = await c.started('t-mid-lease');

    await gp.kill('SIGKILL');
    await expect.poll(() => reconnects.length).toBeGreaterThanOrEqual(2); // refused opens
    await gp.restart();
    const upAt = Date.now();
    await expect.poll(() => registeredAt.length, { timeout: 5_000 }).toBe(2);
    // Reconnected within one maximum backoff (plus the open and register round trip).
    expect(registeredAt[1]! - upAt).toBeLessThanOrEqual(MAX + 300);
    expectWithinBackoffBounds(reconnects);
    expect(reconnects.some((r) => /network error|ECONNREFUSED|stream/i.test(r.reason))).toBe(true);
    // The handler was never interrupted by the outage.
    expect(first.ctx.signal.aborted).toBe(false);

    // The durable store's part: the task comes again, under the same taskId.
    await gp.submit({ capabilityType: work.type, input, taskId: 't-mid-lease' });
    const second = await c.started('t-mid-lease', 2);
    expect(second.leaseId).not.toBe(first.leaseId);
    first.release();
    second.release();
    await expect.poll(() => settled.length, { timeout: 5_000 }).toBe(2);
    // The restarted gateway could only say it does not hold the old lease.
    expectDisowned(settled.find((s) => s.leaseId === first.leaseId));
    if (first.ctx.signal.aborted) {
      expect(first.ctx.signal.reason).toMatchObject({ name: 'AbortError', reason: 'lost' });
    }
    expect(settled.find((s) => s.leaseId === second.leaseId)).toMatchObject({
      settlement: 'delivered',
      outcome: { kind: 'ack', output: input },
    });
    const books = expectBooksSettled(await gp.tasks());
    expect(books).toMatchObject({ tasks: 1, acked: 1 });
    expect(neuron.getState()).toBe('serving');

    await neuron.stop();
    await expect.poll(() => resources.sdkLeftovers(), { timeout: 2_000 }).toEqual([]);
    resources.stop();
  }, 30_000);

  it('mid-ack: the ack the dead gateway never answered is retried until the restarted one answers, and the redelivered task ends acked', async () => {
    const { gp, neuron, c, registeredAt, settled, reconnects, resources } = await setup();
    await gp.submit({ capabilityType: work.type, input: 'b', taskId: 't-mid-ack' });
    const run = await c.started('t-mid-ack');
    // Freeze the gateway, then let the handler return: the ack goes onto a socket nobody reads.
    gp.pause();
    run.release('done');
    const leaseState = () =>
      neuron.snapshot().leases.find((l) => l.leaseId === run.leaseId)?.state ?? 'gone';
    await expect.poll(leaseState).toBe('acking.posting');
    await sleep(200);
    expect(leaseState()).toBe('acking.posting');

    await gp.kill('SIGKILL');
    // No answer ever came: the ack is being retried, not dropped.
    await expect.poll(leaseState).toMatch(/^acking\./);
    await sleep(300);
    expect(leaseState()).toMatch(/^acking\./);
    expect(settled).toEqual([]);

    await gp.restart();
    await expect.poll(() => registeredAt.length, { timeout: 5_000 }).toBe(2);
    expectWithinBackoffBounds(reconnects);
    await expect.poll(() => settled.length, { timeout: 5_000 }).toBe(1);
    expect(settled[0]).toMatchObject({
      leaseId: run.leaseId,
      outcome: { kind: 'ack', output: 'done' },
    });
    expectDisowned(settled[0]);

    // Redelivered by the durable store, run again (handlers are idempotent), acked.
    await gp.submit({ capabilityType: work.type, input: 'b', taskId: 't-mid-ack' });
    (await c.started('t-mid-ack', 2)).release('done');
    await expect
      .poll(async () => (await gp.task('t-mid-ack')).state, { timeout: 5_000 })
      .toBe('acked');
    expect(expectBooksSettled(await gp.tasks())).toMatchObject({ tasks: 1, acked: 1 });

    await neuron.stop();
    await expect.poll(() => resources.sdkLeftovers(), { timeout: 2_000 }).toEqual([]);
    resources.stop();
  }, 30_000);
});
