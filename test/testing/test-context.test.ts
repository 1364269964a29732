import { type Handler, Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, createTestContext, runTask } from '@holokai/neuron-sdk/testing';
import { describe, expect, it } from 'vitest';

const handler: Handler<{ items: string[] }, { count: number }> = async (input, ctx) => {
  ctx.log.info({ n: input.items.length }, 'starting');
  if (input.items.length === 0) ctx.fail('nothing to do', { code: 'EMPTY' });
  for (const [i] of input.items.entries()) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.progress({ percent: ((i + 1) / input.items.length) * 100 });
  }
  return { count: input.items.length };
};

describe('createTestContext', () => {
  it('records progress and log lines of a handler run with no gateway', async () => {
    const t = createTestContext({ input: { items: ['a', 'b'] } });
    await expect(handler({ items: ['a', 'b'] }, t.ctx)).resolves.toEqual({ count: 2 });
    expect(t.progress).toEqual([{ percent: 50 }, { percent: 100 }]);
    expect(t.logs).toEqual([
      { level: 'info', meta: { leaseId: 'l-test', taskId: 't-test', n: 2 }, msg: 'starting' },
    ]);
    expect(t.ctx.task).toMatchObject({ taskId: 't-test', input: { items: ['a', 'b'] } });
  });

  it('records ctx.fail and throws the TaskFailedError the SDK would nack terminal', async () => {
    const t = createTestContext();
    await expect(handler({ items: [] }, t.ctx)).rejects.toMatchObject({
      name: 'TaskFailedError',
      failCode: 'EMPTY',
    });
    expect(t.failure).toEqual({ reason: 'nothing to do', code: 'EMPTY' });
  });

  it('fires the signal with a LeaseAbortedError naming the reason', async () => {
    const t = createTestContext();
    t.abort('shutdown');
    await expect(handler({ items: ['a'] }, t.ctx)).rejects.toMatchObject({
      name: 'AbortError',
      reason: 'shutdown',
    });
  });
});

describe('runTask', () => {
  it('makes an integration test a few lines: submit, await the settled task', async () => {
    const gateway = await createDevGateway();
    const neuron = new Neuron({
      gatewayUrl: gateway.url,
      neuronId: 'test-neuron',
      auth: () => 'any',
    });
    neuron.handle({ type: 'acme/count', scope: 'any', concurrency: 1 }, handler);
    await neuron.start();
    const task = await runTask(gateway, { capabilityType: 'acme/count', input: { items: ['x'] } });
    expect(task.outcome).toMatchObject({ type: 'ack', output: { count: 1 } });
    await neuron.stop();
    await gateway.close();
  });
});
