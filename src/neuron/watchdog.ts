/**
 * The event-loop watchdog. A handler doing CPU work on the loop delays everything else: the
 * heartbeat that renews the leases, the stream's reads. When the loop was blocked long enough to
 * put leases at risk (half the heartbeat interval, or a quarter of the shortest TTL of a lease in
 * flight, whichever is less; never under 100 ms), it reports one `loop:blocked` per episode.
 */

/** How often the loop delay is sampled. */
export const LOOP_SAMPLE_MS = 250;
/** Shorter blocks are noise, whatever the timings. */
const MIN_BLOCK_MS = 100;

export interface LoopBlockedInfo {
  /** How long the loop was blocked, in ms. */
  delayMs: number;
  /** Leases in flight (handler started, outcome not delivered): their renewal was late. */
  leasesAtRisk: number;
}

export interface WatchdogDeps {
  /** The heartbeat interval in force. */
  heartbeatIntervalMs: () => number;
  /** The TTL of each lease in flight (the leases heartbeats renew). */
  inFlightLeaseTtls: () => number[];
  onDelay: (delayMs: number) => void;
  onBlocked: (info: LoopBlockedInfo) => void;
}

export function createWatchdog(deps: WatchdogDeps): (maxDelayMs: number) => void {
  let blocked = false;
  return (delayMs) => {
    deps.onDelay(delayMs);
    if (delayMs < MIN_BLOCK_MS) {
      blocked = false;
      return;
    }
    const ttls = deps.inFlightLeaseTtls();
    const threshold = Math.max(
      MIN_BLOCK_MS,
      Math.min(deps.heartbeatIntervalMs() / 2, ...ttls.map((ttl) => ttl / 4)),
    );
    if (delayMs < threshold) {
      blocked = false;
      return;
    }
    // One report per episode: a loop blocked again and again by one long job is one problem.
    if (blocked) return;
    blocked = true;
    deps.onBlocked({ delayMs: Math.round(delayMs), leasesAtRisk: ttls.length });
  };
}
