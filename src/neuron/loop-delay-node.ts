/**
 * Event-loop delay in Node, from `monitorEventLoopDelay`: every `intervalMs`, the longest delay
 * seen since the last sample. Chosen by the package's `#platform/loop-delay` import under `node`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Starts sampling; returns what stops it. The timer never keeps the process alive. */
export function watchLoopDelay(
  intervalMs: number,
  onSample: (maxDelayMs: number) => void,
): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const timer = setInterval(() => {
    // Nanoseconds, the resolution timer's own 10 ms included.
    const maxDelayMs = Math.max(0, histogram.max / 1e6 - 10);
    histogram.reset();
    onSample(maxDelayMs);
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}
