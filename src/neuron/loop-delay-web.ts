/**
 * Event-loop delay outside Node: how late a repeating timer fires. Chosen by the package's
 * `#platform/loop-delay` import under every condition but `node`.
 */
export function watchLoopDelay(
  intervalMs: number,
  onSample: (maxDelayMs: number) => void,
): () => void {
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    const delay = Math.max(0, now - expected);
    expected = now + intervalMs;
    onSample(delay);
  }, intervalMs);
  return () => clearInterval(timer);
}
