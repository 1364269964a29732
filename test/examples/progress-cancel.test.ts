import { createHash } from 'node:crypto';
import { createTestContext } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { hashHandler, hashItems } from '../../examples/progress-cancel/capability.js';
import { createHarness, disposeHarnesses, type Harness } from '../e2e/harness.js';

afterEach(disposeHarnesses);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function serve(): Promise<Harness> {
  const h = await createHarness({ gateway: { maxAttempts: 1 } });
  h.neuron.handle(hashItems, hashHandler);
  await h.start();
  return h;
}

describe('examples/progress-cancel handler in a unit test', () => {
  it('hashes every item and reports progress after each', async () => {
    const t = createTestContext();
    const output = await hashHandler({ items: ['a', 'b', 'c'], delayMs: 0 }, t.ctx);
    expect(output.hashes).toEqual([
      { item: 'a', sha256: 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb' },
      { item: 'b', sha256: sha256('b') },
      { item: 'c', sha256: sha256('c') },
    ]);
    expect(t.progress).toEqual([
      { percent: 33, message: 'hashed 1/3' },
      { percent: 67, message: 'hashed 2/3' },
      { percent: 100, message: 'hashed 3/3' },
    ]);
  });

  it('rejects as soon as the signal fires, mid-delay', async () => {
    const t = createTestContext();
    const pending = hashHandler({ items: ['a', 'b'], delayMs: 10_000 }, t.ctx);
    const abortedAt = Date.now();
    t.abort('cancelled');
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - abortedAt).toBeLessThan(100);
    expect(t.progress).toEqual([]);
  });
});

describe('examples/progress-cancel through the reference gateway', () => {
  it('acks the hashes and the gateway sees the progress', async () => {
    const h = await serve();
    const progress: Array<number | undefined> = [];
    h.gw.on('progress', (e) => progress.push(e.update.percent));
    const task = h.gw.submitTask({
      capabilityType: 'examples/progress-cancel',
      input: { items: ['x', 'y'], delayMs: 20 },
    });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({
      type: 'ack',
      output: {
        hashes: [
          { item: 'x', sha256: sha256('x') },
          { item: 'y', sha256: sha256('y') },
        ],
      },
    });
    expect(progress.length).toBeGreaterThan(0);
    await h.stop();
  });

  it('is nacked cancelled well before the remaining items would have finished', async () => {
    const h = await serve();
    // 20 items × 200 ms: about 4 s of work left after the first item.
    const task = h.gw.submitTask({
      capabilityType: 'examples/progress-cancel',
      input: { items: Array.from({ length: 20 }, (_, i) => `item-${i}`), delayMs: 200 },
    });
    await h.gw.waitFor('progress', (e) => e.taskId === task.taskId);
    const cancelledAt = Date.now();
    h.gw.cancelTask(task.taskId, 'user cancelled');
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('cancelled');
    expect(done.outcome).toMatchObject({ type: 'nack', kind: 'cancelled' });
    expect(Date.now() - cancelledAt).toBeLessThan(500);
    expect(done.progress.last?.percent).toBeLessThan(20);
    await h.stop();
  });

  it('lets a running task finish when the neuron stops with drain', async () => {
    const h = await serve();
    const task = h.gw.submitTask({
      capabilityType: 'examples/progress-cancel',
      input: { items: ['a', 'b', 'c'], delayMs: 50 },
    });
    await h.gw.waitFor('progress', (e) => e.taskId === task.taskId);
    await h.stop({ drain: true });
    expect(h.gw.task(task.taskId)?.state).toBe('acked');
  });

  it('nacks schema-mismatch for an empty list of items', async () => {
    const h = await serve();
    const task = h.gw.submitTask({
      capabilityType: 'examples/progress-cancel',
      input: { items: [] },
    });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({
      type: 'nack',
      kind: 'schema-mismatch',
      details: { phase: 'input', errors: [{ path: '/items' }] },
    });
    await h.stop();
  });
});
