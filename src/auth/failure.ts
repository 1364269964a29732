/**
 * Turns whatever openid-client or fetch threw into a summary that is safe to put in a message.
 * openid-client's errors keep the HTTP response and, for a malformed answer, its parsed body, which
 * for a registration answer holds the new client secret; so no original error is ever passed on as
 * a `cause`, only `safeCause(summary)`.
 */
import { ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';

export interface FailureSummary {
  kind: 'http' | 'network' | 'timeout' | 'aborted' | 'invalid-response';
  /** One line, secrets removed: `HTTP 400 invalid_grant: device code not found`, `ECONNREFUSED`… */
  text: string;
  status?: number;
  /** The OAuth `error` code of the answer, when it had one. */
  oauthError?: string;
  /** `Retry-After`, in ms, when the answer carried one. */
  retryAfterMs?: number;
}

/** Bounds a server-supplied `error_description` in our messages. */
const MAX_DESCRIPTION = 200;

export function summarize(err: unknown, secrets: readonly string[] = []): FailureSummary {
  const summary = classify(err);
  return { ...summary, text: redact(summary.text, secrets) };
}

function classify(err: unknown): FailureSummary {
  if (err instanceof ResponseBodyError) {
    // The server's words, on one line and bounded: they end up in a log.
    const description = err.error_description?.replace(/\p{Cc}+/gu, ' ').slice(0, MAX_DESCRIPTION);
    return {
      kind: 'http',
      status: err.status,
      oauthError: err.error,
      retryAfterMs: retryAfterMs(err.response),
      text: `HTTP ${err.status} ${err.error}${description ? `: ${description}` : ''}`,
    };
  }
  if (err instanceof WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2: a 401 from the token endpoint carries `WWW-Authenticate`; openid-client then
    // reports the challenge instead of the body, so the `error` is read from the challenge.
    const challenge = err.cause[0];
    const oauthError = challenge?.parameters.error;
    return {
      kind: 'http',
      status: err.status,
      ...(oauthError ? { oauthError } : {}),
      text: `HTTP ${err.status}${oauthError ? ` ${oauthError}` : ''} (${challenge?.scheme ?? 'no'} challenge)`,
    };
  }
  if (err instanceof ClientError) {
    if (err.code === 'OAUTH_TIMEOUT') return { kind: 'timeout', text: 'the request timed out' };
    if (err.code === 'OAUTH_ABORT') return { kind: 'aborted', text: 'the request was aborted' };
    if (err.cause instanceof Response) {
      const { status } = err.cause;
      const ok = status >= 200 && status < 300;
      return {
        kind: ok ? 'invalid-response' : 'http',
        status,
        retryAfterMs: retryAfterMs(err.cause),
        text: ok ? `HTTP ${status} (${err.message})` : `HTTP ${status}`,
      };
    }
    // What a fetch wrapper threw reaches us as `something went wrong`: classify the original.
    if (err.message === 'something went wrong' && err.cause !== undefined) {
      return classify(err.cause);
    }
    // openid-client's own texts name the offending property, never its value.
    const detail = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'invalid-response', text: `${err.message}${detail}` };
  }
  if (err instanceof DOMException || (err instanceof Error && err.name === 'TimeoutError')) {
    if (err.name === 'TimeoutError') return { kind: 'timeout', text: 'the request timed out' };
    if (err.name === 'AbortError') return { kind: 'aborted', text: 'the request was aborted' };
  }
  if (err instanceof TypeError && err.message === 'fetch failed') {
    // undici: `TypeError('fetch failed', { cause })`, the cause naming the socket error.
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const text = code ?? (typeof cause?.message === 'string' ? cause.message : 'fetch failed');
    return { kind: 'network', text };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'invalid-response', text: message.slice(0, MAX_DESCRIPTION) };
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP date. */
export function retryAfterMs(response: Response | undefined): number | undefined {
  const value = response?.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** RFC 6749 §5.2: `invalid_client` comes with 400, or 401 when the client used `Authorization`. */
export function isInvalidClient(summary: FailureSummary): boolean {
  return summary.oauthError === 'invalid_client' || summary.status === 401;
}

/** AUTH.md §2 step 3 and §4: 409 (polling only), 429 and 5xx are worth another try. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The `cause` our errors carry: the summary, never the original (see the module comment). */
export function safeCause(summary: FailureSummary): Error {
  const cause = new Error(summary.text);
  cause.name = 'OAuthFailure';
  return cause;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}
