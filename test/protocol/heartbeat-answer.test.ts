import { describe, expect, it } from 'vitest';
import { readHeartbeatAnswer } from '../../src/protocol/heartbeat-answer.js';

describe('readHeartbeatAnswer', () => {
  it('reads a well-formed answer, deadlines as epoch ms', () => {
    const reading = readHeartbeatAnswer({
      leases: [{ leaseId: 'l-1', expiresAt: '2026-01-01T12:00:40.000Z' }],
      lost: ['l-7'],
    });
    expect(reading).toEqual({
      answer: {
        leases: [{ leaseId: 'l-1', expiresAt: Date.parse('2026-01-01T12:00:40.000Z') }],
        lost: ['l-7'],
      },
      problems: [],
    });
  });

  it('reads no body as no answer, and a body that is not an object likewise, with a problem', () => {
    expect(readHeartbeatAnswer(undefined)).toEqual({ answer: undefined, problems: [] });
    for (const body of [null, 5, 'x', [1]]) {
      const reading = readHeartbeatAnswer(body);
      expect(reading.answer).toBeUndefined();
      expect(reading.problems).toEqual([expect.stringMatching(/not a JSON object/)]);
    }
  });

  it('ignores a list of the wrong type and keeps the other', () => {
    expect(readHeartbeatAnswer({ lost: 5, leases: [] })).toEqual({
      answer: { leases: [] },
      problems: ['heartbeat answer field "lost" is a number, not an array; ignored'],
    });
    expect(readHeartbeatAnswer({ leases: 'x', lost: ['l-1'] }).answer).toEqual({ lost: ['l-1'] });
  });

  it('keeps the well-formed entries of a list and names the first bad ones', () => {
    const bad = [
      null,
      7,
      { leaseId: 'l-2' },
      { leaseId: 'l-3', expiresAt: 'soon' },
      { leaseId: 5 },
    ];
    const reading = readHeartbeatAnswer({
      leases: [...bad, { leaseId: 'l-1', expiresAt: '2026-01-01T12:00:40Z' }],
      lost: ['', 'l-9', {}],
    });
    expect(reading.answer).toEqual({
      leases: [{ leaseId: 'l-1', expiresAt: Date.parse('2026-01-01T12:00:40Z') }],
      lost: ['l-9'],
    });
    expect(reading.problems).toEqual([
      expect.stringContaining('"leases.0"'),
      expect.stringContaining('"leases.1"'),
      expect.stringContaining('"leases.2"'),
      'and 4 more',
    ]);
  });

  it('never quotes what the gateway sent', () => {
    const secret = 'eyJsecret';
    const { problems } = readHeartbeatAnswer({ leases: [secret], lost: [{ secret }], [secret]: 1 });
    expect(problems.join(' ')).not.toContain(secret);
  });
});
