/**
 * PROTOCOL.md "Headers": "`Authorization`: `Bearer <token>`; the token comes from the user's
 * `auth` callback, called afresh for every request and every SSE open (the SDK caches nothing)".
 */
import { AuthCallbackError } from '../errors.js';
import type { AuthCallback } from './types.js';

/**
 * RFC 6750's b64token, widened to any visible ASCII: what can sit in a header unescaped. Checked
 * here because header validators (fetch's among them) quote the offending value in their errors.
 */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

/** Calls `auth` once and returns the `Authorization` value. No message ever quotes the token. */
export async function authorizationHeader(auth: AuthCallback): Promise<string> {
  let token: unknown;
  try {
    token = await auth();
  } catch (err) {
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

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
