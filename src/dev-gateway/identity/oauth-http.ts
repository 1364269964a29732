/** HTTP pieces of the OAuth endpoints: form bodies, client authentication, error answers. */
import type { IncomingMessage } from 'node:http';
import { type Answer, readBody } from '../http.js';

/** OAuth requests are small; anything bigger is refused before it is parsed. */
export const MAX_OAUTH_BODY_BYTES = 64 * 1024;

/** RFC 6749 §5.1: token answers must not be cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** RFC 6749 §5.2 (and RFC 8628, RFC 7591): `{ error, error_description }`. */
export function oauthError(
  status: number,
  error: string,
  description?: string,
  headers: Record<string, string> = {},
): Answer {
  return {
    status,
    body: { error, ...(description !== undefined && { error_description: description }) },
    headers: { ...NO_STORE, ...headers },
  };
}

/** RFC 6749 §5.2: a failed HTTP Basic authentication is a 401 that names the scheme. */
export function invalidClient(description: string): Answer {
  return oauthError(401, 'invalid_client', description, {
    'WWW-Authenticate': 'Basic realm="moku", charset="UTF-8"',
  });
}

export type BodyResult<T> = { value: T } | { answer: Answer };

/** An `application/x-www-form-urlencoded` body, as RFC 6749 requires of token requests. */
export async function readForm(req: IncomingMessage): Promise<BodyResult<URLSearchParams>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    const why = `send the parameters as application/x-www-form-urlencoded, not ${type || 'no Content-Type'}`;
    return { answer: oauthError(400, 'invalid_request', why) };
  }
  const text = await readBody(req, MAX_OAUTH_BODY_BYTES);
  if (text === undefined) {
    return { answer: oauthError(413, 'invalid_request', 'the body is too large') };
  }
  const form = new URLSearchParams(text);
  // RFC 6749 §3.1: parameters must not be repeated.
  const repeated = [...new Set(form.keys())].filter((key) => form.getAll(key).length > 1);
  if (repeated.length > 0) {
    return { answer: oauthError(400, 'invalid_request', `repeated parameter ${repeated[0]}`) };
  }
  return { value: form };
}

/** A JSON object body (RFC 7591 registration requests). */
export async function readJsonObject(
  req: IncomingMessage,
): Promise<BodyResult<Record<string, unknown>>> {
  const text = await readBody(req, MAX_OAUTH_BODY_BYTES);
  if (text === undefined) {
    return { answer: oauthError(413, 'invalid_client_metadata', 'the body is too large') };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return { value: value as Record<string, unknown> };
    }
  } catch {}
  return { answer: oauthError(400, 'invalid_client_metadata', 'the body must be a JSON object') };
}

/**
 * The client id and secret of an `Authorization: Basic` header (RFC 6749 §2.3.1: each
 * form-urlencoded, then joined by `:` and base64-encoded); `undefined` without one.
 */
export function basicCredentials(
  req: IncomingMessage,
): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    clientId: formDecode(decoded.slice(0, colon)),
    secret: formDecode(decoded.slice(colon + 1)),
  };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** A comma-separated display hint (`capabilities=a,b`) as a list; blanks dropped, bounded. */
export function splitHint(value: string | null): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .slice(0, 100)
    .map((item) => item.slice(0, 200));
}

/** A display name, bounded: it ends up on screens and in logs. */
export function nameHint(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
}
