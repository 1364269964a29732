/**
 * `@holokai/neuron-sdk/auth` (Node-only): enrollment and client-credential tokens, AUTH.md.
 */
export {};
