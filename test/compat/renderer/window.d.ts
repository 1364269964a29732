/** What a renderer app declares for its preload's bridge (see `../electron/preload.ts`). */
import type { NeuronIpcBridge } from '@holokai/neuron-sdk/ipc';

declare global {
  interface Window {
    bigbrainNeuron: NeuronIpcBridge;
  }
}
