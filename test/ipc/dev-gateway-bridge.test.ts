/**
 * A real `Neuron` over `IpcTransport` against the dev gateway's IPC side (`gw.ipcBridge()`):
 * the gateway's own books (tasks, leases, progress, streams, requests) decide.
 */
import { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { IpcTransport } from '@holokai/neuron-sdk/ipc';
import { afterEach, describe, expect, it } from 'vitest';
import { trackResources } from '../support/resources.js';

const echo = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;
const TOKEN = 'ipc-test-token';

let gw: DevGateway | undefined;
let neuron: Neuron | undefined;

afterEach(async () => {
  await neuron?.stop({ drain: false });
  await gw?.close();
  neuron = gw = undefined;
});

async function served(options: { identity?: boolean } = {}) {
  gw = await createDevGateway({ token: TOKEN, heartbeatIntervalMs: 100, ...options });
  const transport = new IpcTransport({ bridge: gw.ipcBridge(), neuronId: 'desktop-1' });
  neuron = new Neuron({ neuronId: 'desktop-1', transport, heartbeatIntervalMs: 100 });
  const errors: Error[] = [];
  neuron.on('error', (err) => errors.push(err));
  return { gw, neuron, errors };
}

describe("the dev gateway's IPC bridge", () => {
  it('serves a neuron: register, a lease acked with progress, a cancel, and a clean stop', async () => {
    const resources = trackResources();
    const { gw, neuron, errors } = await served();
    let release = (): void => {};
    neuron.handle(echo, async (input, ctx) => {
      if ((input as { wait?: boolean }).wait) {
        // Runs until the gateway's `cancel` frame aborts it.
        await new Promise<void>((resolve) => {
          release = resolve;
          ctx.signal.addEventListener('abort', () => resolve());
        });
        ctx.signal.throwIfAborted();
      }
      ctx.progress({ percent: 50, message: 'half' });
      return { echoed: input };
    });
    const registered = gw.waitFor('registered');
    await neuron.start();
    await registered;
    expect(gw.neurons()).toMatchObject([
      { neuronId: 'desktop-1', streamOpen: true, capabilities: [{ type: 'acme/echo' }] },
    ]);

    const acked = gw.submitTask({ capabilityType: 'acme/echo', input: { text: 'hi' } });
    const done = await gw.waitForTask(acked.taskId);
    expect(done).toMatchObject({
      state: 'acked',
      outcome: { type: 'ack', output: { echoed: { text: 'hi' } } },
      progress: { count: 1, last: { percent: 50, message: 'half' } },
    });

    const cancelled = gw.submitTask({ capabilityType: 'acme/echo', input: { wait: true } });
    await gw.waitForTask(cancelled.taskId, ['leased']);
    gw.cancelTask(cancelled.taskId, 'changed my mind');
    expect(await gw.waitForTask(cancelled.taskId)).toMatchObject({ state: 'cancelled' });
    release();

    const closed = gw.waitFor('stream:close');
    await neuron.stop();
    expect(await closed).toEqual({ neuronId: 'desktop-1', reason: 'client' });
    const ipc = gw.requests.filter((r) => r.via === 'ipc').map((r) => r.path);
    expect(ipc.slice(0, 2)).toEqual(['events', 'register']);
    expect(ipc).toEqual(expect.arrayContaining(['progress', 'ack', 'nack']));
    expect(gw.requestsTo('ack')).toMatchObject([{ method: 'POST', status: 200, headers: {} }]);
    expect(errors).toEqual([]);
    await expect.poll(() => resources.sdkLeftovers()).toEqual([]);
    resources.stop();
  });

  it('answers as the HTTP side: frame checks, scripted faults, the POST table', async () => {
    const { gw } = await served();
    const bridge = gw.ipcBridge();
    expect(await bridge.invoke('ack', { type: 'ack' } as never)).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_FRAME' } },
    });
    const register = {
      type: 'register',
      neuronId: 'n-2',
      protocolVersion: '1',
      capabilities: [echo],
    } as const;
    expect(await bridge.invoke('register', register as never)).toMatchObject({
      status: 409,
      body: { error: { code: 'NO_STREAM' } },
    });
    gw.failNext('heartbeat', { status: 503, retryAfter: '2' });
    const heartbeat = { type: 'heartbeat', neuronId: 'n-2', sessionId: 's-9', inFlight: [] };
    expect(await bridge.invoke('heartbeat', heartbeat as never)).toMatchObject({
      status: 503,
      retryAfter: '2',
    });
    expect(await bridge.invoke('heartbeat', heartbeat as never)).toMatchObject({
      status: 404,
      body: { error: { code: 'NO_SESSION' } },
    });
    gw.failNext('events', { status: 500 });
    await expect(bridge.attach('n-2')).rejects.toThrow(/scripted fault: 500/);
  });

  it('shares the replay rules: a re-attach gets the cancel sent while it was detached', async () => {
    const { gw } = await served();
    const bridge = gw.ipcBridge();
    const frames: { type: string; leaseId?: string }[] = [];
    const { channel } = await bridge.attach('n-3');
    bridge.subscribe(channel, (frame) => frames.push(frame));
    const register = {
      type: 'register',
      neuronId: 'n-3',
      protocolVersion: '1',
      capabilities: [echo],
    };
    expect(await bridge.invoke('register', register as never)).toEqual({ status: 202 });
    const task = gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    await expect.poll(() => frames.map((f) => f.type)).toEqual(['registered', 'lease']);

    const closed = gw.waitFor('stream:close');
    await bridge.detach('n-3');
    expect(await closed).toEqual({ neuronId: 'n-3', reason: 'client' });
    gw.cancelTask(task.taskId);
    const opened = gw.waitFor('stream:open');
    await bridge.attach('n-3');
    expect(await opened).toMatchObject({ lastEventId: '1', resumed: true, replayed: 1 });
    await expect.poll(() => frames.at(-1)).toEqual({ type: 'cancel', leaseId: frames[1]?.leaseId });
  });

  it('takes the bridge as the static dev token: a service identity, core/* allowed', async () => {
    const { gw, neuron, errors } = await served({ identity: true });
    neuron.handle({ type: 'core/files', scope: 'any', concurrency: 1 }, () => 'ok');
    const registered = gw.waitFor('registered');
    await neuron.start();
    expect(await registered).toMatchObject({
      capabilities: [{ type: 'core/files' }],
      rejected: [],
    });
    expect(gw.neurons()[0]?.identity).toEqual({ kind: 'service', sub: 'dev-token' });
    expect(errors).toEqual([]);
  });
});
