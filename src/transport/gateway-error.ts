/**
 * A non-2xx answer → `GatewayStatusError`. PROTOCOL.md: "Error bodies are
 * `{ "error": { "code": "…", "message": "…" } }`."
 */
import { GatewayStatusError } from '../errors.js';
import { parseJsonSafely } from '../protocol/validate-frame.js';
import { parseRetryAfter } from './retry-after.js';

/** The gateway's code and message end up in error messages and logs: keep them short. */
const MAX_CODE = 100;
const MAX_MESSAGE = 300;

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
  const token = init.authorization?.replace(/^Bearer /, '');
  const { code, message } = readErrorBody(init.body, token || undefined);
  return new GatewayStatusError({
    status: init.status,
    path: init.path,
    gatewayCode: code,
    gatewayMessage: message,
    retryAfterMs: parseRetryAfter(init.retryAfter),
  });
}

/** Whatever of `{ error: { code, message } }` the body has; a body of another shape gives nothing. */
function readErrorBody(
  body: string,
  token: string | undefined,
): { code?: string; message?: string } {
  let parsed: unknown;
  try {
    parsed = parseJsonSafely(body);
  } catch {
    return {};
  }
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (!isRecord(error)) return {};
  const clean = (text: string, max: number): string =>
    cap(token === undefined ? text : text.replaceAll(token, REDACTED), max);
  return {
    code: typeof error.code === 'string' ? clean(error.code, MAX_CODE) : undefined,
    message: typeof error.message === 'string' ? clean(error.message, MAX_MESSAGE) : undefined,
  };
}

const REDACTED = '[redacted]';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
