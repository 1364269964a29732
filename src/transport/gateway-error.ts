/** A non-2xx HTTP answer, its body still text → `GatewayStatusError` (see `status-error.ts`). */
import type { GatewayStatusError } from '../errors.js';
import { parseJsonSafely } from '../protocol/validate-frame.js';
import { statusError } from './status-error.js';

export function gatewayStatusError(init: {
  path: string;
  status: number;
  body: string;
  retryAfter: string | undefined;
  /**
   * The `Authorization` value the request carried. A gateway that echoes the token back ("token
   * sk-… is revoked") must not put it into an error message, an event or a log line.
   */
  authorization?: string;
}): GatewayStatusError {
  const token = init.authorization?.replace(/^Bearer /, '') || undefined;
  return statusError({ ...init, body: parseBody(init.body), token });
}

/** A body that is not JSON says nothing more than its status. */
function parseBody(text: string): unknown {
  try {
    return parseJsonSafely(text);
  } catch {
    return undefined;
  }
}
