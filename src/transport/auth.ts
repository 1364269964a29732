/**
 * PROTOCOL.md "Headers": "`Authorization`: `Bearer <token>`; the token comes from the user's
 * `auth` callback, called afresh for every request and every SSE open (the SDK caches nothing)".
 */
import { AuthCallbackError, isCredentialRevoked } from '../errors.js';
import type { AuthCallback } from './types.js';

/**
 * RFC 6750's b64token, widened to any visible ASCII: what can sit in a header unescaped. Checked
 * here because header validators (fetch's among them) quote the offending value in their errors.
 */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

/** Bounds on one `auth` call. */
export interface AuthLimits {
  /** A callback that has not returned by then fails the request. */
  timeoutMs: number;
  /** Abandons the wait (the stream is being stopped). */
  signal?: AbortSignal;
}

/**
 * Calls `auth` once and returns the `Authorization` value. No message ever quotes the token.
 * The wait is bounded: a callback stuck on a vault or a token endpoint must not hold up the
 * heartbeat, an outcome or `stop()` for longer than `timeoutMs` (its late answer is ignored).
 */
export async function authorizationHeader(
  auth: AuthCallback,
  limits: AuthLimits,
  rejected = false,
): Promise<string> {
  let token: unknown;
  try {
    // Never inside the caller's own call stack (the caller may be a machine mid-transition).
    await undefined;
    if (limits.signal?.aborted) throw abandoned();
    const returned: unknown = rejected ? auth({ rejected: true }) : auth();
    // A token returned at once (the common case) needs no deadline: no timer, no listener.
    token = isThenable(returned) ? await bounded(returned, limits) : returned;
  } catch (err) {
    // A revoked credential (`@holokai/neuron-sdk/auth`) is already a typed, token-free error that
    // the user must see as it is (AUTH.md §4: "emits it as an `error` event").
    if (err instanceof AuthCallbackError || isCredentialRevoked(err)) throw err;
    throw new AuthCallbackError('the auth callback threw (see cause)', err);
  }
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

const abandoned = (): AuthCallbackError =>
  new AuthCallbackError('the auth call was abandoned: the request was cancelled');

/** `auth()`'s promise, rejected with an `AuthCallbackError` past the deadline or on abort. */
function bounded(
  pending: PromiseLike<unknown>,
  { timeoutMs, signal }: AuthLimits,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(abandoned());
    };
    const timer = setTimeout(() => {
      finish();
      reject(new AuthCallbackError(`the auth callback did not return within ${timeoutMs} ms`));
    }, timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(pending).then(
      (token) => {
        finish();
        resolve(token);
      },
      (err: unknown) => {
        finish();
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
