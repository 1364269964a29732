/**
 * The reference's `IpcTransport` examples, as printed, for a renderer: this directory is
 * type-checked as a browser project (`../tsconfig.json`: DOM, no Node types), as Holokai
 * Desktop's renderer and the in-browser neuron tester build.
 */
import { type Handler, Neuron } from '@holokai/neuron-sdk';
import { IpcTransport } from '@holokai/neuron-sdk/ipc';

/**
 * SDK reference, "IpcTransport". CHANGED: the PDF cuts the `handle` line off after
 * `concurrency: 1 },`; completed with the handler.
 */
export async function rendererNeuron(
  neuronId: string,
  userId: string,
  handler: Handler,
): Promise<Neuron> {
  // `bridge` comes from the renderer's preload — see below.
  const transport = new IpcTransport({ bridge: window.bigbrainNeuron, neuronId });
  const neuron = new Neuron({ neuronId, transport });

  neuron.handle(
    { type: 'desktop/local-tool', scope: { onBehalfOf: userId }, concurrency: 1 },
    handler,
  );
  await neuron.start();
  return neuron;
}

/** Developer's Guide §8, "IpcTransport (Electron in-process)". */
export function guideIpcNeuron(neuronId: string): Neuron {
  const transport = new IpcTransport({ bridge: window.bigbrainNeuron, neuronId });
  const neuron = new Neuron({ neuronId, transport });
  return neuron;
}
