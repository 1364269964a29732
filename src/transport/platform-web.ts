/**
 * The HTTP client of `HttpTransport` outside Node (browsers, Electron renderers, workers): the
 * global WHATWG `fetch`, its body read as a `ReadableStream`. Chosen by the package's
 * `#platform/http` import under every condition but `node`, so a browser bundle never pulls
 * in undici.
 */
import { ConfigError } from '../errors.js';
import { fetchClient, type HttpClient, type OwnedHttpClient } from './http-client.js';

/** The browser pools connections itself: nothing of ours to close. */
export function defaultHttpClient(): OwnedHttpClient {
  // Looked up per request, so a fetch installed after the transport was made is the one used.
  return { client: fetchClient((input, init) => fetch(input, init)), close: async () => {} };
}

/** `dispatcher` is an undici object, and undici is not part of this build. */
export function dispatcherHttpClient(_dispatcher: unknown): HttpClient {
  throw new ConfigError(
    'NEURON_ERR_INVALID_OPTIONS',
    'dispatcher is an undici option, and outside Node the transport uses fetch: pass fetch instead, or omit it',
  );
}
