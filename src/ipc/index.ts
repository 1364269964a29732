/**
 * `@holokai/neuron-sdk/ipc`: a transport for neurons in an Electron renderer, or any page whose
 * host process reaches the gateway for it. Browser-clean: no Node API, no Node-only dependency.
 */
export type { IpcAnswer, NeuronIpcBridge } from './bridge.js';
export { IpcTransport, type IpcTransportOptions } from './ipc-transport.js';
