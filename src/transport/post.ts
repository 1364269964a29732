/**
 * `POST {gatewayUrl}/neuron/{path}`, one frame per request (PROTOCOL.md "Transport"). Only the
 * 401 rule is applied here; 429 / 5xx / network errors go back to the caller, whose lease or
 * heartbeat logic decides whether to retry.
 */
import { levelEnabled, type NeuronLogger } from '../logger.js';
import type { ClientFrame, PostPath } from '../protocol/frames.js';
import { parseJsonSafely } from '../protocol/validate-frame.js';
import { USER_AGENT } from '../version.js';
import { Cancellation, type Deadlines } from './deadlines.js';
import { exchange } from './exchange.js';
import { gatewayStatusError } from './gateway-error.js';
import type { HttpClient, HttpResponse } from './http-client.js';

/** What every POST of a transport shares: made once, with the transport. */
export interface PostContext {
  client: HttpClient;
  /**
   * Calls the user's `auth` afresh and returns the `Authorization` value; `rejected` after a 401
   * on the token it gave last. `cancellation` abandons the call.
   */
  authorize: (cancellation: Cancellation, rejected: boolean) => Promise<string>;
  requestTimeoutMs: number;
  /** Times the POSTs out, and lets `close()` abandon them (they reject with a `NetworkError`). */
  deadlines: Deadlines;
  logger: NeuronLogger;
  /** A second consecutive 401: the connection must back off and reconnect. */
  onAuthRejected: () => void;
}

interface Answer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/** Resolves with the 2xx answer's JSON body, or `undefined` when it is empty or not JSON. */
export async function postFrame(
  ctx: PostContext,
  url: string,
  path: PostPath,
  frame: ClientFrame,
): Promise<unknown> {
  const body = JSON.stringify(frame);
  const cancellation = new Cancellation();
  try {
    // "401 on the SSE open or on any POST: call `auth` again and retry that request once at
    // once. A second consecutive `401` escalates" — here: `onAuthRejected`, then rejects with it.
    for (let attempt = 1; ; attempt++) {
      // Each attempt gets `requestTimeoutMs`, counted from before its `auth` call.
      ctx.deadlines.arm(cancellation, ctx.requestTimeoutMs);
      const authorization = await ctx.authorize(cancellation, attempt > 1);
      const headers = {
        authorization,
        accept: 'application/json',
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
      };
      const answer = await exchange(
        ctx.client,
        { method: 'POST', url, headers, body, cancellation },
        path,
        ctx.requestTimeoutMs,
        readAnswer,
      );
      if (levelEnabled(ctx.logger, 'debug')) {
        ctx.logger.debug({ path, status: answer.status, attempt }, 'POST answered');
      }
      if (answer.status === 401 && attempt === 1) continue;
      if (answer.status === 401) ctx.onAuthRejected();
      if (answer.status >= 200 && answer.status < 300) return parseAnswer(answer.body);
      throw gatewayStatusError({ path, ...answer, authorization });
    }
  } finally {
    ctx.deadlines.release(cancellation);
  }
}

/** Reading the whole body, whatever the status, hands the socket back to the pool. */
async function readAnswer(res: HttpResponse): Promise<Answer> {
  const { status } = res;
  const body = await res.text();
  // Only a refusal's `Retry-After` means anything (see `gatewayStatusError`).
  const retryAfter = status >= 200 && status < 300 ? undefined : res.header('retry-after');
  return { status, body, retryAfter };
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
