import type { ProgressUpdate } from '../protocol/frames.js';

/**
 * Coalesces one lease's progress updates: at most one POST in flight; while it is, only the
 * latest update is kept, so a handler calling `progress()` in a tight loop sends a handful of
 * frames, not thousands. Failures are dropped (progress is advisory).
 */
export function createProgressReporter(send: (update: ProgressUpdate) => Promise<void>): {
  report(update: ProgressUpdate): void;
  close(): Promise<void>;
} {
  let inFlight: Promise<void> | undefined;
  let pending: ProgressUpdate | undefined;
  let closed = false;

  const flush = (): void => {
    if (closed || inFlight || pending === undefined) return;
    const update = pending;
    pending = undefined;
    const settle = (): void => {
      inFlight = undefined;
      flush();
    };
    inFlight = send(update).then(settle, settle);
  };

  return {
    report(update) {
      if (closed) return;
      pending = update;
      flush();
    },
    /**
     * The handler settled: an update not yet sent is superseded by the outcome, so it is dropped;
     * the one in flight is waited for, so that no progress reaches the gateway after the outcome.
     */
    close() {
      closed = true;
      pending = undefined;
      return inFlight ?? Promise.resolve();
    },
  };
}
