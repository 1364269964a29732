/**
 * The one HTTP primitive the transport needs, over undici's `request()` (Node, see
 * `platform-node.ts`) or a `fetch` (a browser, or the `fetch` option). Both send the same
 * headers; only how the answer is read differs.
 */

import type { Cancellation } from './deadlines.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** A full URL under the transport's base, which `new URL()` normalised. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request (and a stream's body) when cancelled. */
  cancellation: Cancellation;
  /** The SSE stream: it may stay quiet between pings for as long as the gateway likes. */
  streaming?: boolean;
}

export interface HttpResponse {
  status: number;
  /** A header's value, list-valued headers joined with `, `. */
  header(name: string): string | undefined;
  /** Reads the whole body (which also frees the connection for the next request). */
  text(): Promise<string>;
  /** Drops the body without reading an unbounded amount of it. */
  discard(): Promise<void>;
  /** The body, chunk by chunk, as it arrives. */
  chunks(): AsyncIterable<Uint8Array>;
}

export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

/** A client the transport made for itself, and so must release on `close()`. */
export interface OwnedHttpClient {
  client: HttpClient;
  /** Frees its sockets at once (nothing is left to wait for when the transport closes). */
  close(): Promise<void>;
}

/** The same over a WHATWG `fetch`: the browser default, and the `fetch` option everywhere. */
export function fetchClient(fetchFn: typeof fetch): HttpClient {
  return async ({ method, url, headers, body, cancellation }) => {
    const res = await fetchFn(url, {
      method,
      headers,
      body,
      signal: abortSignal(cancellation),
    }).catch(unwrapFetchError);
    return {
      status: res.status,
      header: (name) => res.headers.get(name) ?? undefined,
      text: () => res.text(),
      discard: async () => res.body?.cancel().then(ignore, ignore),
      chunks: () => readWebStream(res.body),
    };
  };
}

/** fetch takes nothing but a real `AbortSignal`: one per request, aborted with the cancellation. */
function abortSignal(cancellation: Cancellation): AbortSignal {
  const controller = new AbortController();
  if (cancellation.aborted) controller.abort(cancellation.reason);
  else cancellation.once('abort', () => controller.abort(cancellation.reason));
  return controller.signal;
}

/** A `ReadableStream` as an async iterable: Safari's streams are not iterable themselves. */
async function* readWebStream(body: ReadableStream<Uint8Array> | null): AsyncIterable<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Also reached when the consumer stops early: let the request go.
    reader.cancel().then(ignore, ignore);
  }
}

/** fetch reports every network failure as `TypeError('fetch failed')`; the cause says what. */
function unwrapFetchError(err: unknown): never {
  throw err instanceof TypeError && err.cause instanceof Error ? err.cause : err;
}

function ignore(): void {}
