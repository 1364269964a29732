/**
 * Every range a number from outside (a gateway's frame, answer or header, or an option) is held to
 * before it reaches a timer. The README's "Ranges and floors" table lists the same figures.
 */

/** Timers hold at most 2³¹−1 ms (about 24.8 days); Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A `registered` frame's `heartbeatIntervalMs` is held to this range. */
export const GATEWAY_HEARTBEAT_MIN_MS = 100;
export const GATEWAY_HEARTBEAT_MAX_MS = 300_000;

/** Ack/nack retries: 500 ms doubling up to 30 s; `Retry-After` may only lengthen a wait. */
export const OUTCOME_RETRY_FLOOR_MS = 500;
export const OUTCOME_RETRY_MAX_MS = 30_000;

/** `value` held to [min, max]; NaN counts as `min`. */
export function clamp(value: number, min: number, max: number): number {
  if (!(value >= min)) return min;
  return Math.min(value, max);
}
