import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '../../src/dev-gateway/index.js';
import type { CapabilityAdvertisement, LeaseFrame } from '../../src/protocol/frames.js';
import { connect, echo, post, requestJson, type SseStream } from './sse-client.js';

let gw: DevGateway;
const streams: SseStream[] = [];
async function start(options: DevGatewayOptions = {}): Promise<DevGateway> {
  gw = await createDevGateway(options);
  return gw;
}
async function neuron(neuronId: string, capabilities = [echo]) {
  const connection = await connect(gw.url, neuronId, capabilities);
  streams.push(connection.stream);
  return connection;
}
const nextLease = async (stream: SseStream) =>
  (await stream.next('lease')).frame as unknown as LeaseFrame;
const nack = (neuronId: string, lease: LeaseFrame, extra: object = {}) =>
  post(gw.url, 'nack', {
    type: 'nack',
    neuronId,
    leaseId: lease.leaseId,
    taskId: lease.task.taskId,
    kind: 'retryable',
    reason: 'upstream unavailable',
    ...extra,
  });
const api = (method: string, path: string, body?: unknown) =>
  requestJson(method, `${gw.url}/__dev__${path}`, body === undefined ? '' : JSON.stringify(body));

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

describe('retries after a retryable nack', () => {
  it('waits initialMs, then multiplier times longer each attempt, at most maxMs', async () => {
    await start({ retryBackoff: { initialMs: 100, multiplier: 3, maxMs: 200 } });
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1, maxAttempts: 4 });
    const waits: number[] = [];
    let lease = await nextLease(stream);
    for (const expected of [100, 200, 200]) {
      const nackedAt = Date.now();
      expect((await nack('n1', lease)).json).toEqual({ taskId: task.taskId, state: 'pending' });
      const waiting = gw.task(task.taskId)!;
      expect(waiting.state).toBe('pending');
      expect(waiting.retryAt! - nackedAt).toBeGreaterThanOrEqual(expected - 5);
      expect(waiting.retryAt! - nackedAt).toBeLessThanOrEqual(expected + 50);
      lease = await nextLease(stream);
      waits.push(Date.now() - nackedAt);
      expect(gw.task(task.taskId)).toMatchObject({ state: 'leased' });
      expect(gw.task(task.taskId)!.retryAt).toBeUndefined();
    }
    expect(lease.task.attempt).toBe(4);
    expect(waits[0]).toBeGreaterThanOrEqual(95);
    expect(waits[1]).toBeGreaterThanOrEqual(195);
    expect(waits[2]).toBeGreaterThanOrEqual(195);
  });

  it('redelivers at once with retryBackoff: false', async () => {
    await start({ retryBackoff: false });
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await nack('n1', await nextLease(stream));
    expect(gw.task(task.taskId)!.retryAt).toBeUndefined();
    expect((await nextLease(stream)).task.attempt).toBe(2);
  });

  it('redelivers at once a nack that blames the neuron (SHUTDOWN), to another neuron', async () => {
    await start({ retryBackoff: { initialMs: 60_000 } });
    const first = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const lease = await nextLease(first.stream);
    const second = await neuron('n2');
    await nack('n1', lease, { code: 'SHUTDOWN' });
    expect(gw.task(task.taskId)!.retryAt).toBeUndefined();
    expect((await nextLease(second.stream)).task).toMatchObject({
      taskId: task.taskId,
      attempt: 2,
    });
  });

  it('cancels a task waiting out its backoff at once, and never delivers it again', async () => {
    await start({ retryBackoff: { initialMs: 150 } });
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await nack('n1', await nextLease(stream));
    expect(gw.cancelTask(task.taskId, 'enough')).toMatchObject({
      state: 'cancelled',
      outcome: { type: 'cancelled', reason: 'enough' },
    });
    expect(gw.task(task.taskId)!.retryAt).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(gw.task(task.taskId)).toMatchObject({ state: 'cancelled', attempts: 1 });
  });

  it('refuses a malformed retryBackoff', async () => {
    await expect(createDevGateway({ retryBackoff: { initialMs: -1 } })).rejects.toThrow(
      'dev gateway: retryBackoff.initialMs must be a number >= 0, got -1',
    );
    await expect(createDevGateway({ retryBackoff: { multiplier: 0.5 } })).rejects.toThrow(
      'retryBackoff.multiplier must be a number >= 1',
    );
  });
});

describe('what the console reads and does', () => {
  const strict: CapabilityAdvertisement = {
    ...echo,
    type: 'examples/strict',
    description: 'needs a text',
    inputSchema: {
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
    },
  };

  it('lists each capability with its description and schemas', async () => {
    await start();
    await neuron('n1', [echo, strict]);
    const [info] = gw.neurons();
    expect(info!.capabilities).toEqual([
      expect.not.objectContaining({ inputSchema: expect.anything() }),
      expect.objectContaining({
        type: 'examples/strict',
        description: 'needs a text',
        inputSchema: strict.inputSchema,
      }),
    ]);
  });

  it('checks an input against the input schema a neuron advertises', async () => {
    await start();
    await neuron('n1', [echo, strict]);
    const check = (capabilityType: string, input?: unknown) =>
      api('POST', '/capabilities/check-input', { capabilityType, input });
    expect((await check('examples/strict', { text: 'hi' })).json).toEqual({
      checked: true,
      valid: true,
      errors: [],
      neuronId: 'n1',
    });
    expect((await check('examples/strict', { text: 4 })).json).toEqual({
      checked: true,
      valid: false,
      errors: [{ path: '/text', message: 'must be string' }],
      neuronId: 'n1',
    });
    // No schema advertised, or nobody serves it: nothing to check against.
    for (const type of ['examples/echo', 'examples/nobody']) {
      expect((await check(type, 1)).json).toEqual({ checked: false, valid: true, errors: [] });
    }
    const bad = await check('nope');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
  });

  it('retries a settled task as a new one, and refuses an unsettled or unknown one', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({
      capabilityType: 'examples/echo',
      input: { a: 1 },
      maxAttempts: 1,
      workflowId: 'w-1',
    });
    const pending = gw.submitTask({ capabilityType: 'examples/nobody', input: null });
    await nack('n1', await nextLease(stream), { kind: 'terminal' });
    const answer = await api('POST', `/tasks/${task.taskId}/retry`);
    expect(answer.status).toBe(201);
    const { task: again, servedBy } = answer.json as { task: { taskId: string }; servedBy: number };
    expect(servedBy).toBe(1);
    expect(again).toMatchObject({
      capabilityType: 'examples/echo',
      input: { a: 1 },
      maxAttempts: 1,
      workflowId: 'w-1',
      retryOf: task.taskId,
    });
    expect(again.taskId).not.toBe(task.taskId);
    expect((await nextLease(stream)).task.taskId).toBe(again.taskId);
    expect(gw.task(task.taskId)!.state).toBe('failed');

    const refused = await api('POST', `/tasks/${pending.taskId}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: { code: 'TASK_NOT_SETTLED' } });
    expect((await api('POST', '/tasks/t-404/retry')).status).toBe(404);
  });

  it('keeps every progress update of each lease, the last 100 of a chatty one', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const lease = await nextLease(stream);
    for (let i = 1; i <= 103; i += 1) {
      await post(gw.url, 'progress', {
        type: 'progress',
        neuronId: 'n1',
        leaseId: lease.leaseId,
        taskId: task.taskId,
        percent: i / 2,
        message: `step ${i}`,
      });
    }
    const [record] = gw.task(task.taskId)!.history;
    expect(record!.progress).toHaveLength(100);
    expect(record!.progressDropped).toBe(3);
    expect(record!.progress[0]).toMatchObject({ message: 'step 4', leaseId: lease.leaseId });
    expect(record!.progress.at(-1)).toMatchObject({ message: 'step 103', percent: 51.5 });
    expect(gw.task(task.taskId)!.progress.count).toBe(103);
  });
});
