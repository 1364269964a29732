/**
 * SDK reference, "Typical preload wiring (Electron-side, app code — not part of the SDK)".
 * CHANGED: the bridge gets its type, `NeuronIpcBridge`, and the listener its parameter types.
 * Electron types `exposeInMainWorld`'s api as `any`, so as printed every parameter is implicitly
 * `any`, which strict TypeScript refuses; typed, the object is checked against the SDK's bridge.
 */
import type { ServerToNeuronFrame } from '@holokai/neuron-sdk';
import type { NeuronIpcBridge } from '@holokai/neuron-sdk/ipc';
import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';

const bigbrainNeuron: NeuronIpcBridge = {
  attach: (neuronId) =>
    ipcRenderer.invoke('bigbrain:attach', neuronId) as Promise<{ channel: string }>,
  detach: (neuronId) => ipcRenderer.invoke('bigbrain:detach', neuronId) as Promise<void>,
  subscribe: (channel, cb) => {
    const listener = (_e: IpcRendererEvent, frame: unknown) => cb(frame as ServerToNeuronFrame);
    ipcRenderer.on(channel, listener);
    return () => ipcRenderer.off(channel, listener);
  },
  invoke: (path, frame) => ipcRenderer.invoke('bigbrain:post', path, frame),
};

contextBridge.exposeInMainWorld('bigbrainNeuron', bigbrainNeuron);
