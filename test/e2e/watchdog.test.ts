/**
 * The event-loop watchdog: a handler that blocks the loop (CPU work on it) makes one `loop:blocked`
 * event per episode, with the leases whose heartbeat it delayed, and one warning.
 */
import type { LoopBlockedInfo } from '@holokai/neuron-sdk';
import { createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWatchdog } from '../../src/neuron/watchdog.js';
import { createHarness, disposeHarnesses } from './harness.js';

afterEach(disposeHarnesses);

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

it('reports a handler that blocks the loop once, with the leases at risk, and warns once', async () => {
  const log = createRecordingLogger();
  const h = await createHarness({ neuron: { heartbeatIntervalMs: 200, logger: log } });
  const blocked: LoopBlockedInfo[] = [];
  h.neuron.on('loop:blocked', (info) => blocked.push(info));
  h.neuron.handle({ type: 'acme/crunch', scope: 'any', concurrency: 1 }, async () => {
    // Let the watchdog see a quiet loop first, then crunch in two slices: one episode.
    await new Promise((resolve) => setTimeout(resolve, 300));
    busy(400);
    await new Promise((resolve) => setImmediate(resolve));
    busy(400);
    return { done: true };
  });
  await h.start();
  const task = h.gw.submitTask({ capabilityType: 'acme/crunch', input: null });
  expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
  await expect.poll(() => blocked.length).toBe(1);
  expect(blocked[0]?.delayMs).toBeGreaterThanOrEqual(300);
  expect(blocked[0]?.leasesAtRisk).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(blocked).toHaveLength(1);
  const warnings = log.logs.filter(
    (l) => l.level === 'warn' && /event loop was blocked/.test(l.msg ?? ''),
  );
  expect(warnings).toHaveLength(1);
  await h.stop();
});

describe('createWatchdog', () => {
  const deps = (ttls: number[], heartbeatIntervalMs = 10_000) => ({
    heartbeatIntervalMs: () => heartbeatIntervalMs,
    inFlightLeaseTtls: () => ttls,
    onDelay: vi.fn(),
    onBlocked: vi.fn(),
  });

  it('waits for half the heartbeat interval, or a quarter of the shortest running TTL', () => {
    const quiet = deps([]);
    const sample = createWatchdog(quiet);
    sample(4_900);
    expect(quiet.onBlocked).not.toHaveBeenCalled();
    sample(5_000);
    expect(quiet.onBlocked).toHaveBeenCalledWith({ delayMs: 5_000, leasesAtRisk: 0 });

    const short = deps([8_000, 30_000]);
    createWatchdog(short)(2_000);
    expect(short.onBlocked).toHaveBeenCalledWith({ delayMs: 2_000, leasesAtRisk: 2 });
  });

  it('reports one episode once, a new one after the loop was free again, and never under 100 ms', () => {
    const d = deps([100], 40);
    const sample = createWatchdog(d);
    sample(99);
    expect(d.onBlocked).not.toHaveBeenCalled();
    sample(150);
    sample(800);
    expect(d.onBlocked).toHaveBeenCalledTimes(1);
    sample(5);
    sample(150);
    expect(d.onBlocked).toHaveBeenCalledTimes(2);
    expect(d.onDelay).toHaveBeenCalledTimes(5);
  });
});
