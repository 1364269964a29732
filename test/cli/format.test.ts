import { describe, expect, it } from 'vitest';
import { table } from '../../src/cli/format.js';
import { createLineLogger } from '../../src/cli/log.js';

const at = new Date(2025, 0, 2, 3, 4, 5, 6);

function capture(format: 'pretty' | 'plain' | 'json') {
  const lines: string[] = [];
  const logger = createLineLogger(
    format,
    (line) => lines.push(line),
    () => at,
  );
  return { logger, lines };
}

describe('log lines', () => {
  it('read like pino-pretty, quoting values with spaces and leaving out undefined ones', () => {
    const { logger, lines } = capture('plain');
    logger.log('info', 'registered', {
      neuron: 'n1',
      capabilities: 'a/b(any,x1)',
      gone: undefined,
    });
    logger.log('warn', 'cancelled', { task: 't-1', reason: 'changed my mind', output: { a: 1 } });
    expect(lines).toEqual([
      '03:04:05.006 INFO  registered neuron=n1 capabilities=a/b(any,x1)\n',
      '03:04:05.006 WARN  cancelled task=t-1 reason="changed my mind" output={"a":1}\n',
    ]);
  });

  it('are coloured in pretty mode', () => {
    const { logger, lines } = capture('pretty');
    logger.log('error', 'failed', { task: 't-1' });
    expect(lines[0]).toContain('\u001b[31mERROR\u001b[39m');
    expect(lines[0]).toContain('\u001b[36mfailed\u001b[39m');
  });

  it('are pino JSON lines with --json', () => {
    const { logger, lines } = capture('json');
    logger.log('warn', 'lease lost', { task: 't-1', output: { a: 1 } });
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 40,
      time: at.getTime(),
      msg: 'lease lost',
      task: 't-1',
      output: { a: 1 },
    });
  });
});

describe('table', () => {
  it('pads every column but the last', () => {
    expect(
      table(
        ['ID', 'STATE', 'NOTE'],
        [
          ['t-1', 'acked', ''],
          ['t-10', 'pending', 'x'],
        ],
      ),
    ).toBe('ID    STATE    NOTE\nt-1   acked\nt-10  pending  x');
  });
});
