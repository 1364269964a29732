import type { ProgressUpdate } from '../protocol/frames.js';

/**
 * Coalesces one lease's progress updates: at most one POST in flight; while it is, only the
 * latest update is kept, so a handler calling `progress()` in a tight loop sends a handful of
 * frames, not thousands. Failures are dropped (progress is advisory).
 */
export function createProgressReporter(send: (update: ProgressUpdate) => Promise<void>): {
  report(update: ProgressUpdate): void;
  close(): void;
} {
  let inFlight = false;
  let pending: ProgressUpdate | undefined;
  let closed = false;

  const flush = (): void => {
    if (closed || inFlight || pending === undefined) return;
    const update = pending;
    pending = undefined;
    inFlight = true;
    send(update).then(
      () => {
        inFlight = false;
        flush();
      },
      () => {
        inFlight = false;
        flush();
      },
    );
  };

  return {
    report(update) {
      if (closed) return;
      pending = update;
      flush();
    },
    /** The handler settled: an update not yet sent would arrive after the outcome, so drop it. */
    close() {
      closed = true;
      pending = undefined;
    },
  };
}
