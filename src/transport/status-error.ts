/**
 * A non-2xx answer whose body is already parsed → `GatewayStatusError`. PROTOCOL.md: "Error
 * bodies are `{ "error": { "code": "…", "message": "…" } }`." Shared by the HTTP transport and
 * the IPC one (whose answers cross IPC as objects), without the frame validator's weight.
 */
import { GatewayStatusError } from '../errors.js';
import { parseRetryAfter } from './retry-after.js';

/** The gateway's code and message end up in error messages and logs: keep them short. */
const MAX_CODE = 100;
const MAX_MESSAGE = 300;
const REDACTED = '[redacted]';

export function statusError(init: {
  path: string;
  status: number;
  /** The parsed body; anything but `{ error: { code?, message? } }` gives no code or message. */
  body: unknown;
  retryAfter: string | undefined;
  /** The bearer token the request carried, never to be quoted back (see `gatewayStatusError`). */
  token?: string | undefined;
}): GatewayStatusError {
  const error = isRecord(init.body) ? init.body.error : undefined;
  const fields = isRecord(error) ? error : {};
  const clean = (text: unknown, max: number): string | undefined => {
    if (typeof text !== 'string') return undefined;
    return cap(init.token ? text.replaceAll(init.token, REDACTED) : text, max);
  };
  return new GatewayStatusError({
    status: init.status,
    path: init.path,
    gatewayCode: clean(fields.code, MAX_CODE),
    gatewayMessage: clean(fields.message, MAX_MESSAGE),
    retryAfterMs: parseRetryAfter(init.retryAfter),
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
