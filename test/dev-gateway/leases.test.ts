import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '../../src/dev-gateway/index.js';
import type { LeaseFrame } from '../../src/protocol/frames.js';
import { connect, echo, post, type SseStream } from './sse-client.js';

let gw: DevGateway;
const streams: SseStream[] = [];
async function start(options: DevGatewayOptions = {}): Promise<DevGateway> {
  gw = await createDevGateway({ reaperIntervalMs: 10, ...options });
  return gw;
}
async function neuron(neuronId: string, capabilities = [echo]) {
  const connection = await connect(gw.url, neuronId, capabilities);
  streams.push(connection.stream);
  return connection;
}
async function nextLease(stream: SseStream): Promise<LeaseFrame & { eventId?: string }> {
  const event = await stream.next('lease');
  return { ...(event.frame as unknown as LeaseFrame), eventId: event.id };
}
const ack = (neuronId: string, lease: LeaseFrame, output: unknown = { ok: true }) =>
  post(gw.url, 'ack', {
    type: 'ack',
    neuronId,
    leaseId: lease.leaseId,
    taskId: lease.task.taskId,
    output,
    durationMs: 3,
  });
const nack = (neuronId: string, lease: LeaseFrame, kind: string, extra: object = {}) =>
  post(gw.url, 'nack', {
    type: 'nack',
    neuronId,
    leaseId: lease.leaseId,
    taskId: lease.task.taskId,
    kind,
    reason: `${kind} on purpose`,
    ...extra,
  });
const heartbeat = (neuronId: string, sessionId: string, leaseIds: string[]) =>
  post(gw.url, 'heartbeat', {
    type: 'heartbeat',
    neuronId,
    sessionId,
    inFlight: leaseIds.map((leaseId) => ({
      leaseId,
      taskId: 't',
      startedAt: new Date().toISOString(),
    })),
    sentAt: new Date().toISOString(),
  });

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

describe('dispatch', () => {
  it('leases a submitted task with an event id, and settles it acked on ack', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({
      capabilityType: 'examples/echo',
      input: { text: 'hi' },
      workflowId: 'w-1',
    });
    expect(task).toMatchObject({ state: 'pending', attempts: 0 });
    const lease = await nextLease(stream);
    expect(lease).toEqual({
      type: 'lease',
      leaseId: expect.stringMatching(/^l-/),
      capabilityType: 'examples/echo',
      task: { taskId: task.taskId, workflowId: 'w-1', input: { text: 'hi' }, attempt: 1 },
      expiresAt: expect.any(String),
      eventId: '1',
    });
    expect(gw.task(task.taskId)).toMatchObject({ state: 'leased', leaseId: lease.leaseId });
    const answer = await ack('n1', lease, { text: 'hi' });
    expect(answer.status).toBe(200);
    expect(await gw.waitForTask(task.taskId)).toMatchObject({
      state: 'acked',
      attempts: 1,
      neuronId: 'n1',
      outcome: { type: 'ack', output: { text: 'hi' }, durationMs: 3 },
      history: [{ leaseId: lease.leaseId, end: 'acked' }],
    });
  });

  it('holds a task until a neuron serving its type registers', async () => {
    await start();
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const { stream } = await neuron('n1');
    expect((await nextLease(stream)).task.taskId).toBe(task.taskId);
  });

  it('never leases more than a capability concurrency at once, in FIFO order', async () => {
    await start();
    const { stream } = await neuron('n1', [{ ...echo, concurrency: 2 }]);
    const ids = [1, 2, 3].map(
      (n) => gw.submitTask({ capabilityType: 'examples/echo', input: n }).taskId,
    );
    const first = await nextLease(stream);
    const second = await nextLease(stream);
    expect([first.task.taskId, second.task.taskId]).toEqual(ids.slice(0, 2));
    expect(gw.task(ids[2]!)?.state).toBe('pending');
    expect(gw.neurons()[0]?.capabilities[0]?.held).toBe(2);
    await ack('n1', first);
    expect((await nextLease(stream)).task.taskId).toBe(ids[2]);
  });

  it('raises the limit on update-capability', async () => {
    await start();
    const { stream } = await neuron('n1');
    gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const waiting = gw.submitTask({ capabilityType: 'examples/echo', input: 2 });
    await nextLease(stream);
    const update = { type: 'update-capability', neuronId: 'n1', capabilityType: 'examples/echo' };
    expect((await post(gw.url, 'update-capability', { ...update, concurrency: 2 })).status).toBe(
      202,
    );
    expect((await nextLease(stream)).task.taskId).toBe(waiting.taskId);
    expect(gw.neurons()[0]?.capabilities[0]).toMatchObject({ concurrency: 2, held: 2 });
    const unknown = { ...update, capabilityType: 'examples/other', concurrency: 2 };
    expect((await post(gw.url, 'update-capability', unknown)).status).toBe(403);
    expect((await post(gw.url, 'update-capability', { ...update, concurrency: 0 })).status).toBe(
      400,
    );
  });

  it('gives a task on behalf of a user only to that user scope or to any', async () => {
    await start();
    const mine = { ...echo, scope: { onBehalfOf: 'user:a' } };
    const { stream: a } = await neuron('a', [mine]);
    const forB = gw.submitTask({ capabilityType: 'examples/echo', input: 1, onBehalfOf: 'user:b' });
    const forA = gw.submitTask({ capabilityType: 'examples/echo', input: 2, onBehalfOf: 'user:a' });
    const unbound = gw.submitTask({ capabilityType: 'examples/echo', input: 3 });
    const lease = await nextLease(a);
    expect(lease.task).toMatchObject({ taskId: forA.taskId, onBehalfOf: 'user:a' });
    const { stream: any } = await neuron('any', [{ ...echo, concurrency: 2 }]);
    const taken = [await nextLease(any), await nextLease(any)].map((l) => l.task.taskId);
    expect(taken).toEqual([forB.taskId, unbound.taskId]);
  });
});

describe('heartbeats', () => {
  it('renews the listed leases and reports the ones not held as lost', async () => {
    await start();
    const { stream, registered } = await neuron('n1');
    gw.submitTask({ capabilityType: 'examples/echo', input: 1, leaseTtlMs: 60_000 });
    const lease = await nextLease(stream);
    const before = Date.parse(lease.expiresAt!);
    const answer = await heartbeat('n1', registered.sessionId, [lease.leaseId, 'l-999']);
    expect(answer.status).toBe(200);
    const body = answer.json as {
      leases: Array<{ leaseId: string; expiresAt: string }>;
      lost: string[];
    };
    expect(body.lost).toEqual(['l-999']);
    expect(body.leases).toEqual([{ leaseId: lease.leaseId, expiresAt: expect.any(String) }]);
    expect(Date.parse(body.leases[0]!.expiresAt)).toBeGreaterThanOrEqual(before);
  });

  it('answers 404 NO_SESSION to a heartbeat with another session id', async () => {
    await start();
    await neuron('n1');
    const answer = await heartbeat('n1', 's-nope', []);
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ error: { code: 'NO_SESSION' } });
  });

  it('keeps a lease alive past its TTL while heartbeats list it', async () => {
    await start();
    const { stream, registered } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1, leaseTtlMs: 80 });
    const lease = await nextLease(stream);
    for (let i = 0; i < 4; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect((await heartbeat('n1', registered.sessionId, [lease.leaseId])).status).toBe(200);
    }
    expect(gw.task(task.taskId)?.state).toBe('leased');
    expect((await ack('n1', lease)).status).toBe(200);
  });
});

describe('lease outcomes', () => {
  it('redelivers a task whose lease expired, with the next attempt number', async () => {
    await start();
    const { stream } = await neuron('n1');
    const reclaimed = gw.waitFor('lease:reclaimed');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1, leaseTtlMs: 30 });
    const first = await nextLease(stream);
    expect(await reclaimed).toMatchObject({ leaseId: first.leaseId, reason: 'expired' });
    const second = await nextLease(stream);
    expect(second.task).toMatchObject({ taskId: task.taskId, attempt: 2 });
    expect(second.leaseId).not.toBe(first.leaseId);
    expect(Number(second.eventId)).toBeGreaterThan(Number(first.eventId));
  });

  it('answers 409 LEASE_NOT_HELD for a lease reassigned and 410 for one settled or unknown', async () => {
    await start();
    const { stream } = await neuron('n1');
    gw.submitTask({ capabilityType: 'examples/echo', input: 1, leaseTtlMs: 30 });
    const expired = await nextLease(stream);
    const current = await nextLease(stream);
    const late = await ack('n1', expired);
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ error: { code: 'LEASE_NOT_HELD' } });
    expect((await ack('n2', current)).status).toBe(409);
    expect((await ack('n1', current)).status).toBe(200);
    const again = await nack('n1', current, 'terminal');
    expect(again.status).toBe(410);
    expect(again.json).toMatchObject({ error: { code: 'LEASE_NOT_HELD' } });
    expect((await ack('n1', { ...current, leaseId: 'l-404' })).status).toBe(410);
  });

  it('requeues a retryable nack until maxAttempts, then fails the task with the last nack', async () => {
    await start({ retryBackoff: { initialMs: 10 } });
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1, maxAttempts: 2 });
    await nack('n1', await nextLease(stream), 'retryable');
    const second = await nextLease(stream);
    expect(second.task.attempt).toBe(2);
    await nack('n1', second, 'retryable', { code: 'UPSTREAM_NON_2XX' });
    expect(await gw.waitForTask(task.taskId)).toMatchObject({
      state: 'failed',
      attempts: 2,
      outcome: { type: 'nack', kind: 'retryable', code: 'UPSTREAM_NON_2XX' },
    });
  });

  it.each([
    ['terminal', 'failed'],
    ['schema-mismatch', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('settles a %s nack as %s, keeping its details', async (kind, state) => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const details = { phase: 'input', errors: [{ path: '/x', message: 'bad' }] };
    const answer = await nack('n1', await nextLease(stream), kind, { details });
    expect(answer.json).toEqual({ taskId: task.taskId, state });
    expect(gw.task(task.taskId)?.outcome).toEqual({
      type: 'nack',
      kind,
      reason: `${kind} on purpose`,
      details,
    });
  });

  it('answers 400 INVALID_FRAME to a nack of an unknown kind', async () => {
    await start();
    const { stream } = await neuron('n1');
    gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    expect((await nack('n1', await nextLease(stream), 'maybe')).status).toBe(400);
  });

  it('stops leasing to a neuron that nacks SHUTDOWN until it registers again', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await nack('n1', await nextLease(stream), 'retryable', { code: 'SHUTDOWN' });
    expect(gw.neurons()[0]?.dispatchable).toBe(false);
    const { stream: other } = await neuron('n2');
    expect((await nextLease(other)).task).toMatchObject({ taskId: task.taskId, attempt: 2 });
  });

  it('records progress on the task', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const lease = await nextLease(stream);
    const frame = { type: 'progress', neuronId: 'n1', leaseId: lease.leaseId, taskId: task.taskId };
    const seen = gw.waitFor('progress', (p) => p.update.percent === 50);
    expect((await post(gw.url, 'progress', { ...frame, percent: 10 })).status).toBe(202);
    expect(
      (await post(gw.url, 'progress', { ...frame, percent: 50, message: 'half' })).status,
    ).toBe(202);
    expect((await seen).taskId).toBe(task.taskId);
    expect(gw.task(task.taskId)?.progress).toEqual({
      count: 2,
      last: { leaseId: lease.leaseId, percent: 50, message: 'half', at: expect.any(Number) },
    });
    expect((await post(gw.url, 'progress', { ...frame, leaseId: 'l-0' })).status).toBe(410);
  });
});
