/**
 * Runs the renderer's examples in Node with `window.bigbrainNeuron` set to the fake host of
 * `test/ipc`: a renderer neuron registers, serves a lease and stops, all over the bridge.
 */
import type { Neuron } from '@holokai/neuron-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayHost } from '../../ipc/gateway-host.js';
import { guideIpcNeuron, rendererNeuron } from './ipc-renderer.js';

const globals = globalThis as { window?: unknown };
let neuron: Neuron | undefined;

afterEach(async () => {
  await neuron?.stop();
  neuron = undefined;
  delete globals.window;
});

describe('the IpcTransport examples', () => {
  it('serve a renderer neuron through the preload’s bridge', async () => {
    const host = gatewayHost();
    globals.window = { bigbrainNeuron: host.bridge };
    neuron = await rendererNeuron('desktop-1', 'user:abc', (input) => ({ seen: input }));
    await expect.poll(() => host.posted('register')).toHaveLength(1);
    expect(host.posted('register')[0]).toMatchObject({
      capabilities: [{ type: 'desktop/local-tool', scope: { onBehalfOf: 'user:abc' } }],
    });
    await expect.poll(() => neuron?.snapshot().connection.sessionId).toBeDefined();
    host.lease('l-1', 42, 'desktop/local-tool');
    await expect.poll(() => host.posted('ack')).toMatchObject([{ output: { seen: 42 } }]);
  });

  it('build a neuron on the bridge (the Developer’s Guide’s form)', () => {
    globals.window = { bigbrainNeuron: gatewayHost().bridge };
    expect(guideIpcNeuron('desktop-2').neuronId).toBe('desktop-2');
  });
});
