/**
 * The wire of PROTOCOL.md "Transport": one SSE stream in, one POST per frame out. It opens the
 * stream when asked and reports what happens to it; reconnecting, backoff and the idle timeout
 * belong to the neuron's connection machine, which reads `reconnectPolicy`.
 */
import { defaultHttpClient, dispatcherHttpClient } from '#platform/http';
import { BadStreamError, NeuronError } from '../errors.js';
import { childLogger, type NeuronLogger } from '../logger.js';
import type { ClientFrame, PostPath } from '../protocol/frames.js';
import { USER_AGENT } from '../version.js';
import { authorizationHeader } from './auth.js';
import { Cancellation, Deadlines } from './deadlines.js';
import { exchange } from './exchange.js';
import { gatewayStatusError } from './gateway-error.js';
import { fetchClient, type HttpClient, type HttpResponse } from './http-client.js';
import {
  type HttpTransportOptions,
  type ResolvedHttpTransportOptions,
  resolveHttpTransportOptions,
} from './http-transport-options.js';
import { type PostContext, postFrame } from './post.js';
import { createSseDecoder, type SseDecoder } from './sse-stream.js';
import { type TransportEmit, transportSubscribers } from './subscribers.js';
import type { ReconnectPolicy, Transport, TransportCallbacks } from './types.js';

export type { HttpTransportOptions, UndiciDispatcher } from './http-transport-options.js';

/** One stream, from the moment `start()` begins opening it until it is torn down. */
interface StreamState {
  readonly cancellation: Cancellation;
  open: boolean;
  /** `stop()` asked for the teardown: no `onClose`. */
  stopped: boolean;
  /** Settles once the open has failed or the stream has been read to its end. */
  readonly done: Promise<void>;
}

/** `Last-Event-ID` is sent back as a header: only plain, reasonably short ids are kept. */
const HEADER_SAFE_ID = /^[\x20-\x7e]{1,1024}$/;

export class HttpTransport implements Transport {
  readonly #options: ResolvedHttpTransportOptions;
  readonly #log: NeuronLogger;
  readonly #client: HttpClient;
  /** Frees the client the transport made for itself; a no-op for a `fetch` or `dispatcher` given. */
  readonly #closeClient: () => Promise<void>;
  readonly #subscribers: ReturnType<typeof transportSubscribers>;
  readonly #emit: TransportEmit;
  readonly #decoder: SseDecoder;
  #stream: StreamState | undefined;
  /** Across opens: "`Last-Event-ID` … the `id` of the last event received on the previous stream". */
  #lastEventId: string | undefined;
  #closing: Promise<void> | undefined;
  /** The last open, or a POST twice in a row, was answered 401: the next open says so to `auth`. */
  #tokenRejected = false;
  /** Every request's deadline; `close()` abandons the POSTs still in flight through it. */
  readonly #deadlines = new Deadlines();
  readonly #postContext: PostContext;

  constructor(options: HttpTransportOptions) {
    this.#options = resolveHttpTransportOptions(options);
    const { fetch, dispatcher, logger, maxFrameBytes, requestTimeoutMs } = this.#options;
    this.#log = childLogger(logger, { component: 'http-transport' });
    this.#subscribers = transportSubscribers(this.#log);
    this.#emit = this.#subscribers.emit;
    if (fetch) {
      this.#client = fetchClient(fetch);
      this.#closeClient = async () => {};
    } else if (dispatcher) {
      this.#client = dispatcherHttpClient(dispatcher);
      this.#closeClient = async () => {};
    } else {
      const owned = defaultHttpClient();
      this.#client = owned.client;
      this.#closeClient = owned.close;
    }
    this.#postContext = {
      client: this.#client,
      authorize: (cancellation, rejected) => this.#authorize(cancellation, rejected),
      requestTimeoutMs,
      deadlines: this.#deadlines,
      logger: this.#log,
      onAuthRejected: () => {
        this.#tokenRejected = true;
        this.#emit('onAuthRejected');
      },
    };
    this.#decoder = createSseDecoder(maxFrameBytes, {
      onFrame: (frame, id) => this.#emit('onFrame', frame, id),
      onFieldIgnored: (error) => {
        this.#log.warn({ reason: error.reason, frameType: error.frameType }, error.message);
      },
      onFrameError: (error) => {
        this.#log.debug({ reason: error.reason, frameType: error.frameType }, error.message);
        this.#emit('onError', error);
      },
      onEventId: (id) => this.#recordEventId(id),
      onRetry: (delayMs) => this.#emit('onRetryHint', delayMs),
      onIgnoredLine: (kind) => this.#log.debug({ kind }, 'ignored a stream line'),
    });
  }

  get reconnectPolicy(): ReconnectPolicy {
    return this.#options.reconnectPolicy;
  }

  subscribe(callbacks: TransportCallbacks): void {
    this.#subscribers.add(callbacks);
  }

  isConnected(): boolean {
    return this.#stream?.open === true;
  }

  /**
   * "Open the SSE stream. `200` with `Content-Type: text/event-stream` = open." Rejects with a
   * `GatewayStatusError` for any other status (401 included: the connection machine refreshes
   * and calls `start()` again), `BadStreamError` for another content type, `NetworkError`,
   * `RequestTimeoutError` or `AuthCallbackError`. Calls `onOpen` before it resolves.
   */
  async start(): Promise<void> {
    if (this.#closing) throw invalidState('start() after close(): create a new transport');
    if (this.#stream) throw invalidState('start() while a stream is open: call stop() first');
    let settle = (): void => {};
    const stream: StreamState = {
      cancellation: new Cancellation(),
      open: false,
      stopped: false,
      done: new Promise((resolve) => {
        settle = resolve;
      }),
    };
    this.#stream = stream;
    let response: HttpResponse | undefined;
    let failure: unknown;
    try {
      response = await this.#open(stream.cancellation);
    } catch (err) {
      failure = err;
    }
    if (stream.stopped || !response) {
      this.#stream = undefined;
      settle();
      throw stream.stopped
        ? invalidState('stop() was called while the stream was opening')
        : failure;
    }
    stream.open = true;
    this.#decoder.reset();
    this.#log.debug({}, 'event stream open');
    this.#emit('onOpen');
    void this.#read(stream, response).finally(settle);
  }

  /** Closes the stream, if any, and resolves once it is torn down. No `onClose` follows. */
  async stop(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    stream.stopped = true;
    stream.cancellation.cancel();
    await stream.done;
  }

  /** `POST {gatewayUrl}/neuron/{path}`; see `postFrame` for what it resolves and rejects with. */
  post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown> {
    if (this.#closing) {
      return Promise.reject(invalidState(`post(${path}) after close(): the transport is closed`));
    }
    return postFrame(this.#postContext, `${this.#options.base}neuron/${path}`, path, frame);
  }

  /**
   * `stop()`, abandons the POSTs still in flight (they reject with a `NetworkError`), then frees
   * the transport's own HTTP client, so no socket or timer of the transport outlives it. The
   * neuron calls it as the drain's last step, when every outcome has been answered or given up
   * on: a hung gateway must not hold `stop()` for another `requestTimeoutMs`. Idempotent; later
   * calls get the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.stop().then(() => {
      this.#deadlines.cancelAll(new Error('the transport was closed'));
      return this.#closeClient();
    });
    return this.#closing;
  }

  /** The open's deadline ends with it; `cancellation` goes on to serve `stop()`. */
  async #open(cancellation: Cancellation): Promise<HttpResponse> {
    this.#deadlines.arm(cancellation, this.#options.requestTimeoutMs);
    try {
      return await this.#requestStream(cancellation);
    } finally {
      this.#deadlines.release(cancellation);
    }
  }

  async #requestStream(cancellation: Cancellation): Promise<HttpResponse> {
    const { base, neuronId, requestTimeoutMs } = this.#options;
    const headers: Record<string, string> = {
      // After a 401, the next open asks for a token other than the rejected one.
      authorization: await this.#authorize(cancellation, this.#tokenRejected),
      accept: 'text/event-stream',
      'user-agent': USER_AGENT,
    };
    if (this.#lastEventId !== undefined) headers['last-event-id'] = this.#lastEventId;
    const url = `${base}neuron/events?neuronId=${encodeURIComponent(neuronId)}`;
    this.#log.debug({ neuronId, lastEventId: this.#lastEventId }, 'opening event stream');
    return exchange(
      this.#client,
      { method: 'GET', url, headers, cancellation, streaming: true },
      'events',
      requestTimeoutMs,
      async (res) => {
        this.#tokenRejected = res.status === 401;
        if (res.status !== 200) {
          const body = await res.text();
          const retryAfter = res.header('retry-after');
          throw gatewayStatusError({
            path: 'events',
            status: res.status,
            body,
            retryAfter,
            authorization: headers.authorization,
          });
        }
        const type = res.header('content-type');
        if (mediaType(type) !== 'text/event-stream') {
          await res.discard();
          const got = type ? `"${type.slice(0, 100)}"` : 'none';
          throw new BadStreamError(`the event stream answered 200 with Content-Type ${got}`);
        }
        return res;
      },
    );
  }

  /**
   * The `Authorization` value from a fresh `auth` call, which may take until the request's
   * deadline (then it fails the request like a throw). A failing callback is also reported
   * (`onError`); its messages never quote the token. `cancellation` (the stream's, which `stop()`
   * cancels, or the POST's, which `close()` does) abandons the call at once, without an error event.
   */
  #authorize(cancellation: Cancellation, rejected: boolean): Promise<string> {
    const limits = {
      timeoutMs: this.#options.requestTimeoutMs,
      cancellation,
      onFailure: this.#reportAuthFailure,
    };
    return authorizationHeader(this.#options.auth, limits, rejected);
  }

  readonly #reportAuthFailure = (error: Error): void => this.#emit('onError', error);

  /** Feeds the stream to the decoder until it ends; then `onClose`, unless `stop()` asked. */
  async #read(stream: StreamState, response: HttpResponse): Promise<void> {
    let reason = 'stream ended';
    try {
      for await (const chunk of response.chunks()) {
        if (stream.stopped) break;
        this.#emit('onActivity');
        this.#decoder.feed(chunk);
      }
    } catch (err) {
      reason = `network error: ${err instanceof Error ? err.message : String(err)}`;
    }
    stream.open = false;
    this.#stream = undefined;
    if (stream.stopped) {
      this.#log.debug({}, 'event stream stopped');
      return;
    }
    this.#log.debug({ reason }, 'event stream closed');
    this.#emit('onClose', reason);
  }

  #recordEventId(id: string): void {
    // An empty `id:` resets the last event id: no header on the next open (the SSE spec's rule).
    if (id === '') this.#lastEventId = undefined;
    else if (HEADER_SAFE_ID.test(id)) this.#lastEventId = id;
    else this.#log.debug({}, 'event id not kept for Last-Event-ID: not printable ASCII');
  }
}

/** `text/event-stream; charset=utf-8` → `text/event-stream`. */
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

function invalidState(message: string): NeuronError {
  return new NeuronError('NEURON_ERR_INVALID_STATE', message);
}
