/**
 * `@holokai/neuron-sdk/ipc`: a transport for neurons in an Electron renderer (browser-clean).
 */
export {};
