import { afterEach, expect, it, vi } from 'vitest';
import { createLogger, prettyLine } from '../../examples/shared/logger.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('writes readable lines on a terminal: time, level, message, key=value', async () => {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  const log = await createLogger('echo', true);
  (log.child?.({ leaseId: 'l-1' }) ?? log).info({ taskId: 't-1', durationMs: 12 }, 'task done');
  expect(lines).toEqual([
    expect.stringMatching(
      /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}task done leaseId=l-1 taskId=t-1 durationMs=12$/,
    ),
  ]);
});

it('is pino elsewhere (JSON lines, for a log collector)', async () => {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  const log = (await createLogger('echo', false)) as { level?: string; bindings?: () => unknown };
  expect(log.level).toBe('info');
  expect(log.bindings?.()).toEqual({ name: 'echo' });
  expect(lines).toEqual([]);
});

it('shows anything but a string as JSON', () => {
  expect(prettyLine('warn', 'x', { a: { b: 1 }, s: 'plain', gone: undefined })).toMatch(
    / WARN {2}x a=\{"b":1\} s=plain$/,
  );
});
