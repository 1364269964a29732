/**
 * `Retry-After` (RFC 9110 §10.2.3): `delay-seconds` (a non-negative integer) or an HTTP-date
 * (§5.6.7: IMF-fixdate, or the obsolete rfc850-date and asctime-date). Anything else is invalid
 * and counts as absent. PROTOCOL.md's POST table: "429 / 5xx … retry with backoff (honour
 * `Retry-After`)"; the callers make sure it can only lengthen their backoff, never shorten it.
 */
import { MAX_TIMER_MS } from '../limits.js';

const DELAY_SECONDS = /^\d+$/;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT` +
    `|${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT` +
    `|${DAY} ${MONTH} (?: \\d|\\d{2}) ${TIME} \\d{4})$`,
);

/**
 * The wait, in ms, a `Retry-After` value asks for: `undefined` when absent or invalid, 0 for a
 * date already past, at most `MAX_TIMER_MS`.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (DELAY_SECONDS.test(text)) return Math.min(Number(text) * 1000, MAX_TIMER_MS);
  if (!HTTP_DATE.test(text)) return undefined;
  // asctime-date has no zone: RFC 9110 says it is UTC.
  const date = Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_TIMER_MS);
}
