/**
 * Keeps the benchmark harness from rotting: one tiny round of every scenario, SDK and raw, in
 * real processes. It asserts that figures come out, never what they are (timings are the full
 * bench's business, on a quiet machine).
 */
import { describe, expect, it } from 'vitest';
import { type BenchConfig, runBench, SCENARIOS } from './harness.js';
import { formatMarkdown, formatRatios, formatTable } from './report.js';

const tiny: BenchConfig = {
  sdk: 'source',
  // The other suites run alongside: one core each would measure them, not the bench.
  pin: false,
  rounds: 1,
  scenarios: SCENARIOS,
  warmup: 0,
  throughput: { n: 300, concurrency: 64 },
  latency: { n: 60, perSecond: 200, concurrency: 64 },
  validation: { n: 40, perSecond: 200, concurrency: 64 },
  memory: { n: 200, heartbeatIntervalMs: 200, heartbeats: 1 },
  flood: { small: 20, large: 100, concurrency: 4 },
  reconnect: { initialReconnectDelayMs: 100 },
};

describe('the benchmark harness', () => {
  it('produces a figure for every scenario, for the SDK and the raw baseline', async () => {
    const result = await runBench(tiny);
    const scenarios = new Set(result.metrics.map((m) => m.scenario));
    expect([...scenarios].sort()).toEqual(
      [
        'flood',
        'latency',
        'memory',
        'reconnect',
        'throughput',
        'validation (ajv)',
        'validation (zod)',
      ].sort(),
    );
    for (const metric of result.metrics) {
      expect(metric.sdk, `${metric.scenario} ${metric.name}`).toHaveLength(1);
      expect(metric.raw, `${metric.scenario} ${metric.name}`).toHaveLength(1);
      expect(Number.isFinite(metric.sdkMedian), `${metric.scenario} ${metric.name}`).toBe(true);
      expect(Number.isFinite(metric.rawMedian), `${metric.scenario} ${metric.name}`).toBe(true);
    }
    const throughput = result.metrics.find((m) => m.scenario === 'throughput');
    expect(throughput?.sdkMedian).toBeGreaterThan(0);
    expect(throughput?.target?.description).toBe('sdk ≥ 0.5 × raw');
    const ratios = formatRatios(result);
    expect(ratios).toContain('throughput ratio sdk/raw: ');
    expect(ratios).toContain('throughput cpu per lease ratio sdk/raw: ');
    expect(ratios).toContain('flood cpu per lease 100/20 ratio sdk/raw: ');
    expect(ratios).toMatch(/^flood cpu per lease ratio 100\/20 sdk: \S+, raw: \S+$/m);
    // Every target the issue sets shows up, met or missed.
    const targets = result.metrics.flatMap((m) => (m.target ? [`${m.scenario}/${m.name}`] : []));
    expect(targets).toEqual([
      'throughput/throughput',
      'throughput/cpu per lease',
      'latency/p99',
      'validation (ajv)/p99',
      'validation (zod)/p99',
      'memory/heap beyond payload',
      'memory/event-loop delay max',
      'flood/cpu per lease 100/20',
      'reconnect/re-registered',
    ]);
    expect(formatTable(result)).toContain('heap beyond payload');
    expect(formatMarkdown(result)).toContain('| throughput |');
    expect(result.machine.nproc).toBeGreaterThan(0);
    expect(result.machine.placement).toBe('not pinned (--no-pin)');
  }, 90_000);
});
