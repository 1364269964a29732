import { describe, expect, it } from 'vitest';
import { SettledLeases } from '../../machines/settled-leases.js';

describe('SettledLeases', () => {
  it('remembers a settled leaseId for at least the retention time, and forgets it within twice that', () => {
    const settled = new SettledLeases(1_000, 0);
    settled.add('l-1', 0);
    expect(settled.has('l-1')).toBe(true);
    settled.add('l-2', 1_000);
    expect(settled.has('l-1')).toBe(true);
    settled.add('l-3', 2_000);
    expect(settled.has('l-1')).toBe(false);
    expect(settled.has('l-2')).toBe(true);
    settled.add('l-4', 10_000);
    expect(settled.has('l-2')).toBe(false);
    expect(settled.has('l-3')).toBe(false);
    expect(settled.size).toBe(1);
  });
});
