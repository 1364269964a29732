import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '../../src/dev-gateway/index.js';
import type { LeaseFrame } from '../../src/protocol/frames.js';
import { connect, echo, openStream, post, registerFrame, type SseStream } from './sse-client.js';

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
async function open(neuronId: string, lastEventId?: string): Promise<SseStream> {
  const stream = await openStream(gw.url, neuronId, lastEventId ? { lastEventId } : {});
  streams.push(stream);
  return stream;
}
async function nextLease(stream: SseStream) {
  const event = await stream.next('lease');
  return { lease: event.frame as unknown as LeaseFrame, id: event.id! };
}
const nack = (lease: LeaseFrame, kind: string, code?: string) =>
  post(gw.url, 'nack', {
    type: 'nack',
    neuronId: 'n1',
    leaseId: lease.leaseId,
    taskId: lease.task.taskId,
    kind,
    reason: kind,
    ...(code && { code }),
  });

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

describe('resuming a stream', () => {
  it('replays the events after Last-Event-ID on a re-open within the resume window', async () => {
    await start({ resumeWindowMs: 1_000 });
    const { stream } = await neuron('n1', [{ ...echo, concurrency: 3 }]);
    gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const first = await nextLease(stream);
    gw.submitTask({ capabilityType: 'examples/echo', input: 2 });
    const second = await nextLease(stream);
    stream.close();
    await gw.waitFor('stream:close');
    // Sent while the neuron is away: kept for the replay.
    gw.cancelTask(second.lease.task.taskId, 'changed my mind');
    const opened = gw.waitFor('stream:open');
    const resumed = await open('n1', first.id);
    expect(await opened).toEqual({
      neuronId: 'n1',
      lastEventId: first.id,
      resumed: true,
      replayed: 2,
    });
    const replayedLease = await resumed.next();
    expect(replayedLease.id).toBe(second.id);
    expect(replayedLease.frame).toMatchObject({ type: 'lease', leaseId: second.lease.leaseId });
    const cancel = await resumed.next();
    expect(cancel.frame).toEqual({
      type: 'cancel',
      leaseId: second.lease.leaseId,
      reason: 'changed my mind',
    });
    expect(Number(cancel.id)).toBeGreaterThan(Number(second.id));
    expect(gw.task(first.lease.task.taskId)?.state).toBe('leased');
  });

  it('does not replay a lease that was reclaimed meanwhile', async () => {
    await start({ resumeWindowMs: 1_000 });
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1, leaseTtlMs: 20 });
    await nextLease(stream);
    stream.close();
    await gw.waitFor('lease:reclaimed');
    const opened = gw.waitFor('stream:open');
    await open('n1', '0');
    expect((await opened).replayed).toBe(0);
    expect(gw.task(task.taskId)?.state).toBe('pending');
  });

  it('drops the session past the resume window and redelivers its leases', async () => {
    await start({ resumeWindowMs: 30 });
    const { stream, registered } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const first = await nextLease(stream);
    const dropped = gw.waitFor('session:dropped');
    gw.dropStream('n1');
    expect(await dropped).toEqual({ neuronId: 'n1', sessionId: registered.sessionId });
    expect(gw.task(task.taskId)).toMatchObject({
      state: 'pending',
      history: [{ leaseId: first.lease.leaseId, end: 'session-dropped' }],
    });
    const ack = {
      type: 'ack',
      neuronId: 'n1',
      leaseId: first.lease.leaseId,
      taskId: task.taskId,
      output: 1,
    };
    expect((await post(gw.url, 'ack', ack)).status).toBe(410);
    const heartbeat = { type: 'heartbeat', neuronId: 'n1', sessionId: registered.sessionId };
    expect((await post(gw.url, 'heartbeat', { ...heartbeat, inFlight: [] })).status).toBe(404);
    const { stream: again } = await neuron('n1');
    expect((await nextLease(again)).lease.task).toMatchObject({ taskId: task.taskId, attempt: 2 });
  });

  it('waits for a re-registration before leasing on a resumed stream', async () => {
    await start({ resumeWindowMs: 1_000 });
    const { stream } = await neuron('n1');
    stream.close();
    await gw.waitFor('stream:close');
    const resumed = await open('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gw.task(task.taskId)?.state).toBe('pending');
    await post(gw.url, 'register', registerFrame('n1'));
    expect((await nextLease(resumed)).lease.task.taskId).toBe(task.taskId);
  });
});

describe('gateway-initiated stream events', () => {
  it('sends a disconnect frame and then ends the stream', async () => {
    await start();
    const { stream } = await neuron('n1');
    gw.disconnect('n1', { reason: 'restarting', reconnectAfterMs: 250 });
    expect((await stream.next('disconnect')).frame).toEqual({
      type: 'disconnect',
      reason: 'restarting',
      reconnectAfterMs: 250,
    });
    await stream.closed;
    expect(gw.neurons()[0]).toMatchObject({ streamOpen: false, dispatchable: false });
  });

  it('drops a stream without a frame', async () => {
    await start();
    const { stream } = await neuron('n1');
    const closed = gw.waitFor('stream:close');
    gw.dropStream('n1');
    await stream.closed;
    expect((await closed).reason).toBe('dropped');
    expect(stream.events.map((e) => e.frame.type)).toEqual(['registered']);
  });

  it('goes silent on a stalled stream, pings included, while keeping it open', async () => {
    await start({ pingIntervalMs: 10 });
    const stream = await open('n1');
    await stream.nextComment();
    gw.stallStream('n1');
    const count = stream.comments.length;
    gw.sendFrame('n1', { type: 'disconnect' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.comments.length).toBe(count);
    expect(stream.events).toEqual([]);
    expect(gw.neurons()[0]).toMatchObject({ streamOpen: true, stalled: true });
  });

  it('sends a cancel for a leased task and settles it cancelled on the cancelled nack', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    const { lease } = await nextLease(stream);
    expect(gw.cancelTask(task.taskId, 'stop').cancelRequested).toEqual({
      reason: 'stop',
      at: expect.any(Number),
    });
    const cancel = await stream.next('cancel');
    expect(cancel.id).toBeDefined();
    expect(cancel.frame).toEqual({ type: 'cancel', leaseId: lease.leaseId, reason: 'stop' });
    expect(gw.task(task.taskId)?.state).toBe('leased');
    await nack(lease, 'cancelled');
    expect((await gw.waitForTask(task.taskId)).state).toBe('cancelled');
  });

  it('cancels a pending task at once', async () => {
    await start();
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    expect(gw.cancelTask(task.taskId)).toMatchObject({
      state: 'cancelled',
      outcome: { type: 'cancelled' },
    });
  });

  it('stops leasing a revoked capability to the neuron until it registers it again', async () => {
    await start();
    const { stream } = await neuron('n1');
    gw.revokeCapability('n1', 'examples/echo', 'policy');
    expect((await stream.next('capability-revoked')).frame).toEqual({
      type: 'capability-revoked',
      capabilityType: 'examples/echo',
      reason: 'policy',
    });
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gw.task(task.taskId)?.state).toBe('pending');
    expect(gw.neurons()[0]?.capabilities[0]?.revoked).toBe(true);
    await post(gw.url, 'register', registerFrame('n1'));
    expect((await nextLease(stream)).lease.task.taskId).toBe(task.taskId);
  });

  it('stops leasing a type to a neuron that nacks UNKNOWN_CAPABILITY', async () => {
    await start();
    const { stream } = await neuron('n1');
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await nack((await nextLease(stream)).lease, 'retryable', 'UNKNOWN_CAPABILITY');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gw.task(task.taskId)).toMatchObject({ state: 'pending', attempts: 1 });
  });

  it('writes any frame or raw text the test asks for', async () => {
    await start();
    const stream = await open('n1');
    expect(gw.sendFrame('n1', { type: 'future-thing', x: 1 })).toBeUndefined();
    expect(gw.sendFrame('n1', { type: 'cancel', leaseId: 'l-x' }, { id: 'custom' })).toBe('custom');
    gw.sendRaw('n1', 'retry: 1234\n\ndata: {not json\n\n');
    const future = await stream.next();
    expect(future).toMatchObject({ event: 'future-thing', frame: { type: 'future-thing', x: 1 } });
    expect(future.id).toBeUndefined();
    expect((await stream.next()).id).toBe('custom');
    await expect.poll(() => stream.malformed).toEqual(['{not json']);
  });

  it('refuses operator calls for a neuron without an open stream', async () => {
    await start();
    expect(() => gw.dropStream('ghost')).toThrow(/ghost has no open stream/);
  });
});
