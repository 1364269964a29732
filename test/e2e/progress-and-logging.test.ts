import {
  type ClientFrame,
  type HandlerContext,
  HttpTransport,
  Neuron,
  type PostPath,
} from '@holokai/neuron-sdk';
import { createDevGateway, createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, disposeHarnesses, TOKEN } from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 1 } as const;

describe('progress', () => {
  it('coalesces a tight loop of updates into a handful of POSTs and delivers the last one', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, async (_input, ctx) => {
      for (let i = 1; i <= 100_000; i++) ctx.progress({ percent: i / 1_000, message: `step ${i}` });
      await new Promise((resolve) => setTimeout(resolve, 50));
      ctx.progress({ percent: 100, message: 'done', data: { rows: 3 } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'ok';
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: null });
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('acked');
    const posts = h.gw.requestsTo('progress');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.length).toBeLessThanOrEqual(4);
    expect(posts.at(-1)?.body).toMatchObject({
      type: 'progress',
      neuronId: 'neuron-1',
      leaseId: done.leaseId,
      taskId: task.taskId,
      percent: 100,
      message: 'done',
      data: { rows: 3 },
      sentAt: expect.any(String),
    });
    await h.stop();
  });

  it('sends no progress after the outcome, and a failing progress POST does not fail the task', async () => {
    const h = await createHarness();
    h.gw.failNext('progress', { status: 503, times: 5 });
    let kept: HandlerContext | undefined;
    h.neuron.handle(echo, async (_input, ctx) => {
      kept = ctx;
      ctx.progress({ percent: 10 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      ctx.progress({ percent: 90 });
      return 'ok';
    });
    await h.start();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: null }).taskId,
    );
    expect(done.state).toBe('acked');
    expect(h.gw.requestsTo('progress').map((r) => r.status)).toEqual([503, 503]);
    // A handler that kept its ctx reports once more, after its outcome is on the wire.
    const ackAt = h.gw.requestsTo('ack')[0]?.at ?? 0;
    kept?.progress({ percent: 99 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.gw.requestsTo('progress').filter((r) => r.at >= ackAt)).toEqual([]);
    await h.stop();
  });

  it('lets a progress POST in flight land before the outcome, so the gateway never refuses it', async () => {
    const gw = await createDevGateway();
    // A transport whose progress POSTs are slow: without the ordering, the ack would overtake them.
    class SlowProgress extends HttpTransport {
      override async post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown> {
        if (path === 'progress') await new Promise((resolve) => setTimeout(resolve, 30));
        return super.post(path, frame);
      }
    }
    const transport = new SlowProgress({
      gatewayUrl: gw.url,
      neuronId: 'slow-progress',
      auth: () => 'any',
    });
    const neuron = new Neuron({ neuronId: 'slow-progress', transport });
    neuron.handle({ ...echo, concurrency: 4 }, (_input, ctx) => {
      ctx.progress({ percent: 100, message: 'done' });
      return 'ok';
    });
    await neuron.start();
    const tasks = Array.from({ length: 8 }, (_, i) =>
      gw.submitTask({ capabilityType: 'acme/echo', input: i }),
    );
    await Promise.all(tasks.map((t) => gw.waitForTask(t.taskId)));
    await neuron.stop();
    await gw.close();
    const progress = gw.requestsTo('progress');
    expect(progress).toHaveLength(8);
    expect(progress.filter((r) => r.status !== 202)).toEqual([]);
  });
});

describe('logging', () => {
  it('gives each handler a child logger carrying leaseId, taskId and capabilityType', async () => {
    const logger = createRecordingLogger();
    const lines = logger.logs;
    const h = await createHarness({ neuron: { logger } });
    h.neuron.handle(echo, (_input, ctx) => {
      ctx.log.info({ step: 1 }, 'working');
      return 'ok';
    });
    await h.start();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: null }).taskId,
    );
    const line = lines.find((l) => l.msg === 'working');
    expect(line?.meta).toMatchObject({
      step: 1,
      leaseId: done.leaseId,
      taskId: done.taskId,
      capabilityType: 'acme/echo',
    });
    await h.stop();
  });

  it('never writes the bearer token into a log line', async () => {
    const logger = createRecordingLogger();
    const lines = logger.logs;
    const h = await createHarness({ neuron: { logger } });
    h.gw.failNext('events', { status: 401 });
    h.neuron.handle(echo, () => 'ok');
    await h.start();
    await h.gw.waitForTask(h.gw.submitTask({ capabilityType: 'acme/echo', input: null }).taskId);
    await h.stop();
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});
