/**
 * `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. PROTOCOL.md's POST
 * table: "429 / 5xx … retry with backoff (honour `Retry-After`)".
 */

const DELAY_SECONDS = /^\d+$/;

/** The wait, in ms, a `Retry-After` value asks for; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  // A date already past means "now", not a negative wait.
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
