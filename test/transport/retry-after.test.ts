import { describe, expect, it } from 'vitest';
import { outcomeRetryDelay } from '../../machines/lease.js';
import { parseRetryAfter } from '../../src/transport/retry-after.js';

const NOW = Date.parse('2026-12-06T10:00:00Z');

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it('reads delay-seconds and the three HTTP-date forms', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Sunday, 06-Dec-26 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Sun Dec  6 10:00:30 2026', NOW)).toBe(30_000);
  });

  it('reads a date already past as no wait', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
  });

  it('counts anything else as absent', () => {
    for (const value of [
      undefined,
      '',
      '-1',
      '1.5',
      '1e3',
      '+5',
      'soon',
      '2026-12-06T10:00:30Z',
      'tomorrow',
      'Sun, 06 Dec 2026',
    ]) {
      expect(parseRetryAfter(value, NOW), String(value)).toBeUndefined();
    }
  });

  it('holds a wait to what a timer can hold', () => {
    expect(parseRetryAfter('99999999999999999999', NOW)).toBe(2 ** 31 - 1);
    expect(parseRetryAfter('Fri, 01 Jan 9999 00:00:00 GMT', NOW)).toBe(2 ** 31 - 1);
  });
});

describe('outcomeRetryDelay', () => {
  it('backs off from 500 ms, doubling to 30 s', () => {
    expect([1, 2, 3, 7, 8, 50].map((n) => outcomeRetryDelay(n, undefined))).toEqual([
      500, 1_000, 2_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('lets Retry-After lengthen a wait but never shorten it', () => {
    expect(outcomeRetryDelay(1, 0)).toBe(500);
    expect(outcomeRetryDelay(3, 1_000)).toBe(2_000);
    expect(outcomeRetryDelay(1, 10_000)).toBe(10_000);
    expect(outcomeRetryDelay(1, 2 ** 40)).toBe(2 ** 31 - 1);
  });
});
