import {
  ConfigError,
  GatewayStatusError,
  NetworkError,
  RequestTimeoutError,
} from '@holokai/neuron-sdk';
import { IpcTransport, type IpcTransportOptions } from '@holokai/neuron-sdk/ipc';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../src/limits.js';
import type { AckFrame } from '../../src/protocol/frames.js';
import { record } from '../transport/recorder.js';
import { fakeHost } from './fake-host.js';

const ack: AckFrame = {
  type: 'ack',
  neuronId: 'desktop-1',
  leaseId: 'l-1',
  taskId: 't-1',
  output: { ok: true },
  durationMs: 3,
};

function setup(options: Partial<IpcTransportOptions> = {}) {
  const host = fakeHost();
  const transport = new IpcTransport({ bridge: host.bridge, neuronId: 'desktop-1', ...options });
  return { host, transport, recorder: record(transport) };
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('IpcTransport.start', () => {
  it('attaches, subscribes to the channel attach named, and reports the open', async () => {
    const { host, transport, recorder } = setup();
    expect(transport.isConnected()).toBe(false);
    await transport.start();
    expect(host.calls).toEqual([
      { op: 'attach', neuronId: 'desktop-1' },
      { op: 'subscribe', channel: 'bigbrain:neuron:desktop-1' },
    ]);
    expect(recorder.log).toEqual([{ kind: 'open' }]);
    expect(transport.isConnected()).toBe(true);
    await transport.close();
  });

  it("passes on its channel's frames as they come, each also counting as activity", async () => {
    const { host, transport, recorder } = setup();
    await transport.start();
    host.send({ type: 'cancel', leaseId: 'l-1' });
    host.send({ type: 'future-frame', x: 1 });
    expect(recorder.log).toEqual([
      { kind: 'open' },
      { kind: 'activity' },
      { kind: 'frame', frame: { type: 'cancel', leaseId: 'l-1' }, id: undefined },
      { kind: 'activity' },
      { kind: 'frame', frame: { type: 'future-frame', x: 1 }, id: undefined },
    ]);
    await transport.close();
  });

  it.each([
    ['rejects', 'reject', NetworkError, 'network error on attach: attach failed'],
    ['throws', 'throw', NetworkError, 'network error on attach: attach threw'],
    ['never answers', 'hang', RequestTimeoutError, 'no answer to attach within 50 ms'],
  ] as const)(
    'reports an attach that %s as an error, and start() rejects with it',
    async (_, how, type, message) => {
      const { host, transport, recorder } = setup({ requestTimeoutMs: 50 });
      host.failNext('attach', how);
      const error = await rejection(transport.start());
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toBe(message);
      expect(recorder.log).toEqual([{ kind: 'error', error }]);
      expect(transport.isConnected()).toBe(false);
      // Nothing is left attached, and the connection machine may try again.
      await transport.start();
      expect(recorder.of('open')).toHaveLength(1);
      await transport.close();
    },
  );

  it('refuses an attach answer without a channel, and detaches', async () => {
    const { host, transport, recorder } = setup();
    host.attachAnswer = () => ({ chan: 'x' });
    const error = await rejection(transport.start());
    expect(error).toMatchObject({ code: 'NEURON_ERR_BAD_STREAM' });
    expect(recorder.of('error')).toEqual([{ kind: 'error', error }]);
    expect(host.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
  });

  it('reports a subscribe that throws, detaches, and rejects', async () => {
    const { host, transport, recorder } = setup();
    host.failNext('subscribe', 'throw');
    const error = await rejection(transport.start());
    expect(error).toMatchObject({ code: 'NEURON_ERR_BAD_STREAM' });
    expect((error as Error).cause).toEqual(new Error('subscribe threw'));
    expect(recorder.of('error')).toHaveLength(1);
    expect(host.calls.map((c) => c.op)).toEqual(['attach', 'subscribe', 'detach']);
  });

  it('refuses a second start() while attached, and start() after close()', async () => {
    const { transport } = setup();
    await transport.start();
    await expect(transport.start()).rejects.toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
    await transport.close();
    await expect(transport.start()).rejects.toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
  });
});

describe('IpcTransport.stop', () => {
  it('unsubscribes and detaches; later frames are dropped; start() may follow', async () => {
    const { host, transport, recorder } = setup();
    await transport.start();
    await transport.stop();
    expect(host.calls.slice(2)).toEqual([
      { op: 'unsubscribe', channel: 'bigbrain:neuron:desktop-1' },
      { op: 'detach', neuronId: 'desktop-1' },
    ]);
    expect(transport.isConnected()).toBe(false);
    expect(host.send({ type: 'cancel', leaseId: 'l-1' })).toBe(false);
    await transport.start();
    expect(recorder.log).toEqual([{ kind: 'open' }, { kind: 'open' }]);
    await transport.close();
  });

  it('drops a frame the bridge delivers after the unsubscribe', async () => {
    const { host, transport, recorder } = setup();
    let late: ((frame: never) => void) | undefined;
    const subscribe = host.bridge.subscribe;
    host.bridge.subscribe = (channel, cb) => {
      late = cb as (frame: never) => void;
      return subscribe(channel, cb);
    };
    await transport.start();
    await transport.stop();
    late?.({ type: 'cancel', leaseId: 'l-1' } as never);
    expect(recorder.of('frame')).toEqual([]);
  });

  it('during the attach: start() rejects, and what was attached is detached', async () => {
    const { host, transport, recorder } = setup();
    const starting = rejection(transport.start());
    await transport.stop();
    expect(await starting).toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
    expect(host.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
    expect(recorder.log).toEqual([]);
  });

  it('reports a failing unsubscribe and detach, and resolves all the same', async () => {
    const { host, transport, recorder } = setup();
    await transport.start();
    host.failNext('unsubscribe', 'throw');
    host.failNext('detach', 'reject');
    await transport.stop();
    expect(recorder.of('error').map(({ error }) => error.message)).toEqual([
      "the bridge's unsubscribe threw",
      'network error on detach: detach failed',
    ]);
    expect(transport.isConnected()).toBe(false);
  });
});

describe('IpcTransport.post', () => {
  it('invokes the bridge with the path and frame, and resolves with a 2xx answer’s body', async () => {
    const { host, transport, recorder } = setup();
    host.answer = () => ({ status: 200, body: { leases: [], lost: [] } });
    await expect(transport.post('ack', ack)).resolves.toEqual({ leases: [], lost: [] });
    host.answer = () => ({ status: 202 });
    await expect(transport.post('ack', ack)).resolves.toBeUndefined();
    expect(host.callsOf('invoke')).toEqual([
      { op: 'invoke', path: 'ack', frame: ack },
      { op: 'invoke', path: 'ack', frame: ack },
    ]);
    expect(recorder.log).toEqual([]);
  });

  it('takes an answer that is not an IpcAnswer as the body of a 2xx answer', async () => {
    const { host, transport } = setup();
    host.answer = () => ({ lost: ['l-9'] });
    await expect(transport.post('heartbeat', ack as never)).resolves.toEqual({ lost: ['l-9'] });
    host.answer = () => undefined;
    await expect(transport.post('ack', ack)).resolves.toBeUndefined();
    // `status` that is no HTTP status does not make an IpcAnswer.
    host.answer = () => ({ status: 'ok' });
    await expect(transport.post('ack', ack)).resolves.toEqual({ status: 'ok' });
  });

  it('rejects a non-2xx IpcAnswer with a GatewayStatusError, without an error event', async () => {
    const { host, transport, recorder } = setup();
    host.answer = () => ({
      status: 409,
      body: { error: { code: 'LEASE_NOT_HELD', message: 'expired' } },
      retryAfter: 2,
    });
    const error = await rejection(transport.post('ack', ack));
    expect(error).toBeInstanceOf(GatewayStatusError);
    expect(error).toMatchObject({
      status: 409,
      path: 'ack',
      gatewayCode: 'LEASE_NOT_HELD',
      gatewayMessage: 'expired',
      retryAfterMs: 2000,
    });
    host.answer = () => ({ status: 503, body: 'not an error body', retryAfter: { no: 1 } });
    expect(await rejection(transport.post('ack', ack))).toMatchObject({
      status: 503,
      gatewayCode: undefined,
      retryAfterMs: undefined,
    });
    expect(recorder.log).toEqual([]);
  });

  it('reports a failing bridge as an error event and rejects with a NetworkError', async () => {
    const { host, transport, recorder } = setup();
    host.failNext('invoke', 'reject');
    host.failNext('invoke', 'throw');
    const rejected = await rejection(transport.post('ack', ack));
    const thrown = await rejection(transport.post('ack', ack));
    expect(rejected).toBeInstanceOf(NetworkError);
    expect(thrown).toBeInstanceOf(NetworkError);
    expect(recorder.log).toEqual([
      { kind: 'error', error: rejected },
      { kind: 'error', error: thrown },
    ]);
  });

  it('fails an invoke that never answers after requestTimeoutMs, and ignores its late answer', async () => {
    const { host, transport, recorder } = setup({ requestTimeoutMs: 30 });
    let answerLate = (): void => {};
    host.answer = () =>
      new Promise((resolve) => {
        answerLate = () => resolve({ status: 200 });
      });
    const started = performance.now();
    const error = await rejection(transport.post('ack', ack));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    answerLate();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(recorder.log).toEqual([{ kind: 'error', error }]);
  });
});

describe('IpcTransport.close', () => {
  it('rejects the invokes in flight at once, and refuses later posts', async () => {
    const { host, transport, recorder } = setup();
    host.failNext('invoke', 'hang');
    await transport.start();
    const pending = rejection(transport.post('ack', ack));
    await transport.close();
    expect(await pending).toMatchObject({
      code: 'NEURON_ERR_NETWORK',
      message: 'network error on ack: the transport was closed',
    });
    await expect(transport.post('ack', ack)).rejects.toMatchObject({
      code: 'NEURON_ERR_INVALID_STATE',
    });
    expect(recorder.of('error')).toEqual([]);
    expect(transport.close()).toBe(transport.close());
  });
});

describe('new IpcTransport', () => {
  it('has no auth callback and no keep-alive: an idle channel never counts as dead', () => {
    const { transport } = setup();
    expect(transport.reconnectPolicy).toEqual({ idleTimeoutMs: MAX_TIMER_MS });
  });

  it.each([
    [{ bridge: undefined }, /bridge must be the NeuronIpcBridge your preload exposes/],
    [{ bridge: { attach() {}, detach() {}, subscribe() {} } }, /bridge\.invoke must be a function/],
    [{ neuronId: '' }, /neuronId must be a non-empty string/],
    [{ requestTimeoutMs: 0 }, /requestTimeoutMs must be a positive number of milliseconds/],
  ])('says what to fix in bad options (%o)', (override, message) => {
    const host = fakeHost();
    const options = { bridge: host.bridge, neuronId: 'n', ...override } as IpcTransportOptions;
    expect(() => new IpcTransport(options)).toThrow(ConfigError);
    expect(() => new IpcTransport(options)).toThrow(message);
  });
});
