import { describe, expect, it } from 'vitest';
import { FrameError } from '../../src/errors.js';
import {
  checkFrame,
  frameSchemas,
  parseFrame,
  parseJsonSafely,
} from '../../src/protocol/validate-frame.js';

const MAX = 16 * 1024 * 1024;

function rejected(data: string, max = MAX): FrameError {
  const result = parseFrame(data, max);
  if (result.ok) throw new Error(`frame was accepted: ${data.slice(0, 80)}`);
  expect(result.error).toBeInstanceOf(FrameError);
  return result.error;
}

function accepted(data: string): unknown {
  const result = parseFrame(data, MAX);
  if (!result.ok) throw result.error;
  return result.frame;
}

const lease = {
  type: 'lease',
  leaseId: 'l-1',
  capabilityType: 'examples/echo',
  task: { taskId: 't-1', workflowId: 'w-1', input: { text: 'hi' }, attempt: 1 },
  expiresAt: '2026-01-01T12:00:30.000Z',
};

describe('parseFrame', () => {
  it('accepts every frame of the protocol in its full and minimal forms', () => {
    const frames = [
      lease,
      { type: 'lease', leaseId: 'l', capabilityType: 'a/b', task: { taskId: 't', input: null } },
      {
        type: 'registered',
        sessionId: 's-1',
        capabilities: [
          { type: 'examples/echo', scope: 'any', concurrency: 4 },
          { type: 'examples/mine', scope: { onBehalfOf: 'user:abc' } },
        ],
        rejected: [{ type: 'core/x', code: 'CAPABILITY_DENIED', message: 'no' }],
        heartbeatIntervalMs: 10_000,
      },
      { type: 'registered', sessionId: 's-1', capabilities: [] },
      { type: 'cancel', leaseId: 'l-1', reason: 'workflow cancelled' },
      { type: 'capability-revoked', capabilityType: 'examples/echo' },
      { type: 'disconnect', reason: 'gateway restarting', reconnectAfterMs: 0 },
      { type: 'disconnect' },
    ];
    for (const frame of frames) expect(accepted(JSON.stringify(frame))).toEqual(frame);
  });

  it('passes a frame of an unknown type through untouched', () => {
    expect(accepted('{"type":"hello-v2","anything":[1,2]}')).toEqual({
      type: 'hello-v2',
      anything: [1, 2],
    });
  });

  it('reports data that is not JSON, not an object or has no string type', () => {
    expect(rejected('{"type":').reason).toBe('not-json');
    expect(rejected('').reason).toBe('not-json');
    expect(rejected('"lease"').reason).toBe('not-object');
    expect(rejected('null').reason).toBe('not-object');
    expect(rejected('[{"type":"lease"}]').reason).toBe('not-object');
    expect(rejected('{"leaseId":"l"}').reason).toBe('no-type');
    expect(rejected('{"type":7}').reason).toBe('no-type');
  });

  it('names the frame type and the missing field', () => {
    const cases: Array<[unknown, string]> = [
      [
        { type: 'registered', capabilities: [] },
        'registered frame lacks required field "sessionId"',
      ],
      [
        { type: 'registered', sessionId: 's' },
        'registered frame lacks required field "capabilities"',
      ],
      [{ ...lease, leaseId: undefined }, 'lease frame lacks required field "leaseId"'],
      [
        { ...lease, capabilityType: undefined },
        'lease frame lacks required field "capabilityType"',
      ],
      [{ ...lease, task: undefined }, 'lease frame lacks required field "task"'],
      [{ ...lease, task: { input: 1 } }, 'lease frame lacks required field "task.taskId"'],
      [{ ...lease, task: { taskId: 't' } }, 'lease frame lacks required field "task.input"'],
      [{ type: 'cancel' }, 'cancel frame lacks required field "leaseId"'],
      [
        { type: 'capability-revoked' },
        'capability-revoked frame lacks required field "capabilityType"',
      ],
    ];
    for (const [frame, message] of cases) {
      const error = rejected(JSON.stringify(frame));
      expect(error.reason).toBe('missing-field');
      expect(error.message).toContain(message);
      expect(error.frameType).toBe((frame as { type: string }).type);
    }
  });

  it('skips a frame whose required field has the wrong type', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...lease, task: { ...lease.task, taskId: 5 } }, /field "task.taskId" must be string/],
      [{ ...lease, task: 'do it' }, /field "task" must be object/],
      [
        { type: 'registered', sessionId: 's', capabilities: {} },
        /field "capabilities" must be array/,
      ],
      [{ type: 'cancel', leaseId: '' }, /field "leaseId"/],
    ];
    for (const [frame, message] of cases) {
      const error = rejected(JSON.stringify(frame));
      expect(error.reason).toBe('invalid-field');
      expect(error.message).toMatch(message);
    }
  });

  it('leaves out an invalid optional field or list entry, reports it, and keeps the rest', () => {
    const registered = { type: 'registered', sessionId: 's', capabilities: [{ type: 'a/b' }] };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ...lease, expiresAt: 'tomorrow' }, 'expiresAt', /field "expiresAt" must match format/],
      [{ ...lease, expiresAt: 12 }, 'expiresAt', /field "expiresAt" must be string/],
      [{ ...lease, inputSchema: 'x' }, 'inputSchema', /field "inputSchema"/],
      [{ ...registered, heartbeatIntervalMs: 0 }, 'heartbeatIntervalMs', /must be > 0/],
      [{ ...registered, heartbeatIntervalMs: 3e9 }, 'heartbeatIntervalMs', /must be <= 2147483647/],
      [{ ...registered, rejected: 'none' }, 'rejected', /field "rejected" must be array/],
      [{ type: 'disconnect', reconnectAfterMs: -1 }, 'reconnectAfterMs', /must be >= 0/],
      [{ type: 'disconnect', reconnectAfterMs: '5' }, 'reconnectAfterMs', /must be number/],
      [{ type: 'cancel', leaseId: 'l', reason: 5 }, 'reason', /field "reason" must be string/],
    ];
    for (const [frame, field, message] of cases) {
      const result = parseFrame(JSON.stringify(frame), MAX);
      if (!result.ok) throw new Error(`skipped: ${result.error.message}`);
      expect(Object.hasOwn(result.frame, field), field).toBe(false);
      expect(result.ignored?.map((e) => e.message)).toEqual([expect.stringMatching(message)]);
      expect(result.ignored?.[0]?.message).toMatch(/; ignored$/);
      const { [field]: _dropped, ...rest } = frame;
      expect(result.frame).toEqual(rest);
    }
  });

  it('drops the bad entries of a list and the bad fields of a good entry', () => {
    const data = JSON.stringify({
      type: 'registered',
      sessionId: 's',
      capabilities: [
        { type: 'a/b', scope: 'mine', concurrency: 2 },
        { concurrency: 1 },
        null,
        { type: 'c/d', concurrency: 0 },
      ],
      lease: { task: { attempt: -1 } },
    });
    const result = parseFrame(data, MAX);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.frame).toMatchObject({
      capabilities: [{ type: 'a/b', concurrency: 2 }, { type: 'c/d' }],
    });
    expect(result.ignored?.map((e) => e.message)).toEqual([
      expect.stringMatching(/field "capabilities.0.scope" has none of the accepted shapes/),
      expect.stringMatching(/entry "capabilities.1"/),
      expect.stringMatching(/entry "capabilities.2"/),
      expect.stringMatching(/field "capabilities.3.concurrency" must be >= 1/),
    ]);
    const attempt = parseFrame(
      JSON.stringify({ ...lease, task: { ...lease.task, attempt: -1 } }),
      MAX,
    );
    const { attempt: _bad, ...task } = lease.task;
    expect(attempt.ok && attempt.frame).toEqual({ ...lease, task });
  });

  it('mends a copy: an object a custom transport hands over is not changed', () => {
    const frame = { type: 'cancel', leaseId: 'l', reason: 5 };
    const result = checkFrame(frame);
    expect(result.ok && result.frame).toEqual({ type: 'cancel', leaseId: 'l' });
    expect(frame.reason).toBe(5);
  });

  it('never echoes the payload in its messages', () => {
    const secret = `eyJhbGciOi${'A'.repeat(5000)}`;
    const frames = [
      `{"type":"lease","leaseId":"${secret}","capabilityType":"a/b","task":{"input":1}}`,
      `{"type":"lease","leaseId":"l","capabilityType":"a/b","task":{"taskId":"t","input":1},"expiresAt":"${secret}"}`,
      `not json ${secret}`,
      `{"type":"cancel","leaseId":"","${secret}":1,"reason":5}`,
    ];
    for (const data of frames) {
      const result = parseFrame(data, MAX);
      const message = result.ok ? String(result.ignored?.[0]?.message) : result.error.message;
      expect(message).toMatch(/skipped|ignored/);
      expect(message).not.toContain('eyJ');
      expect(message.length).toBeLessThan(250);
    }
  });

  it('refuses data over maxFrameBytes, counted in UTF-8 bytes', () => {
    const frame = JSON.stringify({ type: 'cancel', leaseId: 'é'.repeat(40) });
    expect(Buffer.byteLength(frame)).toBe(frame.length + 40);
    expect(parseFrame(frame, frame.length + 40).ok).toBe(true);
    const error = rejected(frame, frame.length + 39);
    expect(error.reason).toBe('too-large');
    expect(error.message).toContain(`${frame.length + 39} bytes`);
  });

  it('drops __proto__ keys so that no prototype can be changed through a frame', () => {
    const data =
      '{"type":"lease","leaseId":"l","capabilityType":"a/b","__proto__":{"polluted":1},' +
      '"task":{"taskId":"t","input":{"__proto__":{"polluted":2},"\\u005f_proto__":{"polluted":3},"a":[{"__proto__":{"polluted":4}}]}}}';
    const frame = accepted(data) as { task: { input: Record<string, unknown> } };
    expect(Object.hasOwn(frame, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(frame)).toBe(Object.prototype);
    expect(frame.task.input).toEqual({ a: [{}] });
    const merged = Object.assign({}, frame, frame.task.input);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect('polluted' in Object.prototype).toBe(false);
  });

  it('does not read required fields through the prototype chain', () => {
    const proto = Object.prototype as { leaseId?: string };
    proto.leaseId = 'inherited';
    try {
      expect(rejected('{"type":"cancel"}').message).toContain('lacks required field "leaseId"');
    } finally {
      delete proto.leaseId;
    }
  });
});

describe('parseJsonSafely', () => {
  it('parses ordinary JSON like JSON.parse', () => {
    expect(parseJsonSafely('{"a":[1,"\\u00e9",null]}')).toEqual({ a: [1, 'é', null] });
    expect(() => parseJsonSafely('{')).toThrow(SyntaxError);
  });
});

describe('frameSchemas', () => {
  it('exports one schema per frame type the protocol defines', () => {
    expect(Object.keys(frameSchemas).sort()).toEqual([
      'cancel',
      'capability-revoked',
      'disconnect',
      'lease',
      'registered',
    ]);
    expect(frameSchemas.lease.required).toEqual(['type', 'leaseId', 'capabilityType', 'task']);
  });
});
