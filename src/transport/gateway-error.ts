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
}): GatewayStatusError {
  const { code, message } = readErrorBody(init.body);
  return new GatewayStatusError({
    status: init.status,
    path: init.path,
    gatewayCode: code,
    gatewayMessage: message,
    retryAfterMs: parseRetryAfter(init.retryAfter),
  });
}

/** Whatever of `{ error: { code, message } }` the body has; a body of another shape gives nothing. */
function readErrorBody(body: string): { code?: string; message?: string } {
  let parsed: unknown;
  try {
    parsed = parseJsonSafely(body);
  } catch {
    return {};
  }
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (!isRecord(error)) return {};
  return {
    code: typeof error.code === 'string' ? cap(error.code, MAX_CODE) : undefined,
    message: typeof error.message === 'string' ? cap(error.message, MAX_MESSAGE) : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
