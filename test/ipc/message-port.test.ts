import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { type InboundFrame, Neuron } from '@holokai/neuron-sdk';
import { IpcTransport } from '@holokai/neuron-sdk/ipc';
import { describe, expect, it } from 'vitest';
import { gatewayHost } from './gateway-host.js';
import { type Link, portBridge, serveBridge } from './message-port-bridge.js';

function link<In>(port: MessagePort): Link<In> {
  return { send: (message) => port.postMessage(message), listen: (h) => port.on('message', h) };
}

describe('IpcTransport over a MessageChannel', () => {
  it('serves a neuron when every frame and answer is structured-cloned', async () => {
    const host = gatewayHost();
    const { port1, port2 } = new MessageChannel();
    serveBridge(link(port2), host.bridge);
    const transport = new IpcTransport({ bridge: portBridge(link(port1)), neuronId: 'page-1' });
    const neuron = new Neuron({ neuronId: 'page-1', transport, heartbeatIntervalMs: 100 });
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => ({ input }));
    const frames: InboundFrame[] = [];
    const errors: Error[] = [];
    let registered = 0;
    neuron
      .on('frame', (frame) => frames.push(frame))
      .on('error', (err) => errors.push(err))
      .on('connection:registered', () => registered++);
    await neuron.start();
    await expect.poll(() => registered).toBe(1);

    const sent = host.lease('l-1', { n: 1 });
    await expect.poll(() => host.posted('ack')).toHaveLength(1);
    expect(host.posted('ack')[0]).toMatchObject({ leaseId: 'l-1', output: { input: { n: 1 } } });
    const received = frames.find((f) => f.type === 'lease');
    expect(received).toEqual(sent);
    expect(received).not.toBe(sent);

    await neuron.stop();
    expect(host.callsOf('detach')).toEqual([{ op: 'detach', neuronId: 'page-1' }]);
    expect(errors).toEqual([]);
    port1.close();
  });
});
