/**
 * `POST {gatewayUrl}/neuron/{path}`, one frame per request (PROTOCOL.md "Transport"). Only the
 * 401 rule is applied here; 429 / 5xx / network errors go back to the caller, whose lease or
 * heartbeat logic decides whether to retry.
 */
import type { NeuronLogger } from '../logger.js';
import type { ClientFrame, PostPath } from '../protocol/frames.js';
import { parseJsonSafely } from '../protocol/validate-frame.js';
import { USER_AGENT } from '../version.js';
import { exchange } from './exchange.js';
import { gatewayStatusError } from './gateway-error.js';
import type { HttpClient } from './http-client.js';

export interface PostContext {
  client: HttpClient;
  /**
   * Calls the user's `auth` afresh and returns the `Authorization` value; `rejected` after a 401
   * on the token it gave last.
   */
  authorize: (rejected?: boolean) => Promise<string>;
  requestTimeoutMs: number;
  logger: NeuronLogger;
  /** A second consecutive 401: the connection must back off and reconnect. */
  onAuthRejected?: () => void;
  /** Aborts the request in flight (the transport is closing): it rejects with a `NetworkError`. */
  signal?: AbortSignal;
}

/** Resolves with the 2xx answer's JSON body, or `undefined` when it is empty or not JSON. */
export async function postFrame(
  ctx: PostContext,
  url: string,
  path: PostPath,
  frame: ClientFrame,
): Promise<unknown> {
  const body = JSON.stringify(frame);
  // "401 on the SSE open or on any POST: call `auth` again and retry that request once at once.
  // A second consecutive `401` escalates" — here: `onAuthRejected`, then rejects with the 401.
  for (let attempt = 1; ; attempt++) {
    const startedAt = performance.now();
    const headers = {
      authorization: await ctx.authorize(attempt > 1),
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
    };
    const controller = new AbortController();
    const abandon = (): void => controller.abort();
    if (ctx.signal?.aborted) abandon();
    ctx.signal?.addEventListener('abort', abandon, { once: true });
    let answer: { status: number; body: string; retryAfter: string | undefined };
    try {
      answer = await exchange(
        ctx.client,
        { method: 'POST', url, headers, body },
        { path, timeoutMs: ctx.requestTimeoutMs, controller, startedAt },
        // Reading the whole body, whatever the status, hands the socket back to the pool.
        async (res) => ({
          status: res.status,
          body: await res.text(),
          retryAfter: res.header('retry-after'),
        }),
      );
    } finally {
      ctx.signal?.removeEventListener('abort', abandon);
    }
    ctx.logger.debug({ path, status: answer.status, attempt }, 'POST answered');
    if (answer.status === 401 && attempt === 1) continue;
    if (answer.status === 401) ctx.onAuthRejected?.();
    if (answer.status >= 200 && answer.status < 300) return parseAnswer(answer.body);
    throw gatewayStatusError({ path, ...answer, authorization: headers.authorization });
  }
}

/** "2xx answer to a heartbeat: the body is optional." */
function parseAnswer(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseJsonSafely(text);
  } catch {
    return undefined;
  }
}
