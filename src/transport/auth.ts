/**
 * PROTOCOL.md "Headers": "`Authorization`: `Bearer <token>`; the token comes from the user's
 * `auth` callback, called afresh for every request and every SSE open (the SDK caches nothing)".
 */
import { AuthCallbackError, isCredentialRevoked } from '../errors.js';
import type { Cancellation } from './deadlines.js';
import type { AuthCallback } from './types.js';

/**
 * RFC 6750's b64token, widened to any visible ASCII: what can sit in a header unescaped. Checked
 * here because header validators (fetch's among them) quote the offending value in their errors.
 */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

/** Bounds on one `auth` call, and where its failures go. */
export interface AuthLimits {
  /** Named in the error of a call still running at the request's deadline. */
  timeoutMs: number;
  /** The request's: its deadline or `close()` / `stop()` abandons the wait. */
  cancellation: Cancellation;
  /**
   * A failing callback is the user's to fix, so besides failing the request it is reported: the
   * connection would otherwise only back off, silently. Not called for a wait abandoned by
   * `close()` / `stop()`, which is no fault of the callback.
   */
  onFailure: (error: Error) => void;
}

/**
 * Calls `auth` once and returns the `Authorization` value. No message ever quotes the token.
 * The wait is bounded: a callback stuck on a vault or a token endpoint must not hold up the
 * heartbeat, an outcome or `stop()` past the request's deadline (its late answer is ignored).
 */
export async function authorizationHeader(
  auth: AuthCallback,
  limits: AuthLimits,
  rejected = false,
): Promise<string> {
  try {
    // Never inside the caller's own call stack (the caller may be a machine mid-transition).
    await undefined;
    if (limits.cancellation.aborted) throw cancelled(limits);
    const returned: unknown = rejected ? auth({ rejected: true }) : auth();
    // A token returned at once (the common case) needs no deadline: no listener, no promise.
    return headerValue(isThenable(returned) ? await bounded(returned, limits) : returned);
  } catch (err) {
    // A revoked credential (`@holokai/neuron-sdk/auth`) is already a typed, token-free error that
    // the user must see as it is (AUTH.md §4: "emits it as an `error` event").
    const error =
      err instanceof AuthCallbackError || isCredentialRevoked(err)
        ? err
        : new AuthCallbackError('the auth callback threw (see cause)', err);
    const { cancellation } = limits;
    if (!cancellation.aborted || cancellation.timedOut) {
      limits.onFailure(error instanceof Error ? error : new Error(String(error)));
    }
    throw error;
  }
}

function headerValue(token: unknown): string {
  if (typeof token !== 'string' || token === '') {
    const got = typeof token === 'string' ? 'an empty string' : describeType(token);
    throw new AuthCallbackError(`the auth callback must return a non-empty string, got ${got}`);
  }
  if (!HEADER_SAFE_TOKEN.test(token)) {
    throw new AuthCallbackError(
      'the auth callback returned a token with spaces, control or non-ASCII characters, which cannot be sent in a header',
    );
  }
  return `Bearer ${token}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Why the wait for `auth` ended early. */
function cancelled({ cancellation, timeoutMs }: AuthLimits): AuthCallbackError {
  return new AuthCallbackError(
    cancellation.timedOut
      ? `the auth callback did not return within ${timeoutMs} ms`
      : 'the auth call was abandoned: the request was cancelled',
  );
}

/** `auth()`'s promise, rejected with an `AuthCallbackError` once the request is cancelled. */
function bounded(pending: PromiseLike<unknown>, limits: AuthLimits): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onCancel = (): void => reject(cancelled(limits));
    limits.cancellation.once('abort', onCancel);
    Promise.resolve(pending).then(
      (token) => {
        limits.cancellation.removeListener('abort', onCancel);
        resolve(token);
      },
      (err: unknown) => {
        limits.cancellation.removeListener('abort', onCancel);
        reject(err);
      },
    );
  });
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
