import {
  type LeaseSettledInfo,
  Neuron,
  type NeuronCommonOptions,
  type NeuronEventMap,
} from '@holokai/neuron-sdk';
import { IpcTransport } from '@holokai/neuron-sdk/ipc';
import { afterEach, describe, expect, it } from 'vitest';
import { trackResources } from '../support/resources.js';
import { type GatewayHost, gatewayHost } from './gateway-host.js';

const echo = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;

interface Served {
  host: GatewayHost;
  neuron: Neuron;
  errors: Error[];
  settled: LeaseSettledInfo[];
  reconnecting: NeuronEventMap['connection:reconnecting'][0][];
  /** Resolves once the neuron's `registered` frame has arrived `count` times in all. */
  registered(count?: number): Promise<void>;
}

const running = new Set<Neuron>();

afterEach(async () => {
  for (const neuron of running) await neuron.stop({ drain: false });
  running.clear();
});

/** A neuron on the fake host, with fast timings and its events recorded. */
function serve(options: { requestTimeoutMs?: number } & Partial<NeuronCommonOptions> = {}): Served {
  const { requestTimeoutMs, ...common } = options;
  const host = gatewayHost();
  const transport = new IpcTransport({
    bridge: host.bridge,
    neuronId: 'desktop-1',
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
  });
  const neuron = new Neuron({
    neuronId: 'desktop-1',
    transport,
    heartbeatIntervalMs: 100,
    initialReconnectDelayMs: 10,
    maxReconnectDelayMs: 50,
    ...common,
  });
  running.add(neuron);
  const served: Served = {
    host,
    neuron,
    errors: [],
    settled: [],
    reconnecting: [],
    registered(count = 1) {
      return expect
        .poll(() => registrations, { timeout: 3_000 })
        .toBeGreaterThanOrEqual(count)
        .then(() => {});
    },
  };
  let registrations = 0;
  neuron
    .on('error', (err) => served.errors.push(err))
    .on('lease:settled', (info) => served.settled.push(info))
    .on('connection:reconnecting', (info) => served.reconnecting.push(info))
    .on('connection:registered', () => registrations++);
  return served;
}

describe('a Neuron over IpcTransport', () => {
  it('registers, runs a lease and acks it through the bridge, and detaches on stop', async () => {
    const resources = trackResources();
    const { host, neuron, errors, settled, registered } = serve();
    neuron.handle(echo, async (input, ctx) => {
      ctx.progress({ percent: 50 });
      return { echoed: input };
    });
    await neuron.start();
    await registered();
    expect(host.posted('register')).toMatchObject([
      { type: 'register', neuronId: 'desktop-1', capabilities: [echo] },
    ]);

    host.lease('l-1', { text: 'hi' });
    await expect.poll(() => settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ leaseId: 'l-1', settlement: 'delivered' });
    expect(host.posted('ack')).toMatchObject([
      { type: 'ack', leaseId: 'l-1', taskId: 't-l-1', output: { echoed: { text: 'hi' } } },
    ]);
    expect(host.posted('progress')).toMatchObject([{ leaseId: 'l-1', percent: 50 }]);
    await expect.poll(() => host.posted('heartbeat').length).toBeGreaterThan(0);

    await neuron.stop();
    expect(host.calls.slice(-2)).toEqual([
      { op: 'unsubscribe', channel: 'bigbrain:neuron:desktop-1' },
      { op: 'detach', neuronId: 'desktop-1' },
    ]);
    expect(host.isSubscribed()).toBe(false);
    expect(errors).toEqual([]);
    await expect.poll(() => resources.sdkLeftovers()).toEqual([]);
    resources.stop();
  });

  it('applies the POST table to IPC answers: a 409 LEASE_NOT_HELD ack is dropped, not retried', async () => {
    const { host, neuron, settled, registered } = serve();
    neuron.handle(echo, (input) => input);
    const answer = host.answer;
    host.answer = (path, frame) =>
      path === 'ack'
        ? { status: 409, body: { error: { code: 'LEASE_NOT_HELD', message: 'reassigned' } } }
        : answer(path, frame);
    await neuron.start();
    await registered();
    host.lease('l-1', 1);
    await expect.poll(() => settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ leaseId: 'l-1', settlement: 'not-held' });
    expect(host.posted('ack')).toHaveLength(1);
  });

  it('checks frames from the bridge: a malformed one is an error event, and skipped', async () => {
    const { host, neuron, errors, registered } = serve();
    neuron.handle(echo, (input) => input);
    await neuron.start();
    await registered();
    host.send({ type: 'lease', leaseId: 'l-1' });
    host.send('not a frame');
    expect(errors.map((e) => e.name)).toEqual(['FrameError', 'FrameError']);
    expect(host.posted('ack')).toEqual([]);
  });

  it('reports a failing attach as error events, and attaches once the host answers', async () => {
    const { host, neuron, errors, reconnecting, registered } = serve();
    neuron.handle(echo, (input) => input);
    host.failNext('attach', 'reject', 2);
    await neuron.start();
    await registered();
    expect(errors.map((e) => e.message)).toEqual([
      'network error on attach: attach failed',
      'network error on attach: attach failed',
    ]);
    expect(reconnecting).toHaveLength(2);
    expect(host.callsOf('attach')).toHaveLength(3);
  });

  it('never hangs on a bridge that stops answering: the ack times out, is reported, and retried', async () => {
    const { host, neuron, errors, settled, registered } = serve({ requestTimeoutMs: 100 });
    neuron.handle(echo, (input) => input);
    await neuron.start();
    await registered();
    host.failNext('invoke', 'hang');
    host.lease('l-1', 1);
    await expect.poll(() => settled, { timeout: 5_000 }).toHaveLength(1);
    expect(settled[0]).toMatchObject({ settlement: 'delivered' });
    expect(host.posted('ack')).toHaveLength(2);
    expect(errors.map((e) => e.message)).toContain('no answer to ack within 100 ms');
  });

  it('re-attaches after a disconnect frame, and registers again', async () => {
    const { host, neuron, registered } = serve();
    neuron.handle(echo, (input) => input);
    await neuron.start();
    await registered();
    host.send({ type: 'disconnect', reason: 'host restarting', reconnectAfterMs: 10 });
    await registered(2);
    expect(host.calls.map((c) => c.op).filter((op) => op !== 'invoke')).toEqual([
      'attach',
      'subscribe',
      'unsubscribe',
      'detach',
      'attach',
      'subscribe',
    ]);
  });

  it('stops within its bounds when the host has stopped answering', async () => {
    const { host, neuron, registered } = serve({ requestTimeoutMs: 100, shutdownGraceMs: 200 });
    neuron.handle(echo, (input) => input);
    await neuron.start();
    await registered();
    host.failNext('invoke', 'hang', 100);
    host.failNext('detach', 'hang');
    host.lease('l-1', 1);
    await expect.poll(() => host.posted('ack').length).toBeGreaterThan(0);
    const started = performance.now();
    await neuron.stop({ timeoutMs: 100 });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(neuron.getState()).toBe('stopped');
  });
});
