/**
 * The duplicate-detection memory is bounded by count as well as by time (regression: at a high
 * lease rate it held every leaseId of the last 10 to 20 minutes, which the soak showed as steady
 * heap growth: ~57 bytes per lease, over a million ids at 1 000 leases/s).
 */
import { describe, expect, it } from 'vitest';
import { SETTLED_PER_GENERATION, SettledLeases } from '../../machines/settled-leases.js';

describe('SettledLeases under a high lease rate', () => {
  it('keeps at most two generations of SETTLED_PER_GENERATION ids, always the most recent ones', () => {
    const settled = new SettledLeases(10 * 60_000, 0);
    for (let i = 0; i < 250_000; i++) {
      settled.add(`l-${i}`, 1_000 + i); // 250 000 leases within ~4 minutes
      expect(settled.size).toBeLessThanOrEqual(2 * SETTLED_PER_GENERATION);
    }
    for (let i = 250_000 - SETTLED_PER_GENERATION; i < 250_000; i++) {
      expect(settled.has(`l-${i}`)).toBe(true);
    }
    expect(settled.has('l-0')).toBe(false);
  });
});
