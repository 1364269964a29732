/** Kept equal to package.json's `version` (a test checks it). */
export const SDK_NAME = '@holokai/neuron-sdk';
export const SDK_VERSION = '0.3.0';
export const USER_AGENT = `holokai-neuron-sdk-ts/${SDK_VERSION}`;
