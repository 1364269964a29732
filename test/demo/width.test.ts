import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo/index.js';
import { VirtualTerminal } from './terminal.js';

/** The demo on a terminal `columns` wide; what the terminal shows at the end, scrollback included. */
async function demoOn(columns: number) {
  const terminal = new VirtualTerminal(columns);
  let written = '';
  const out = {
    isTTY: true,
    columns,
    write: (text: string) => {
      written += text;
      terminal.write(text);
    },
  };
  expect(await runDemo({ out, colour: true })).toBe(0);
  return { terminal, written, lines: terminal.text() };
}

/** The rows of the live view: a task id, then a progress bar further on. */
const liveRows = (lines: string[]) => lines.filter((line) => /^t-\d+ .*\[[█░]+\]/.test(line));

describe.concurrent('the demo on a narrow terminal', () => {
  it.each([80, 60])(
    'fits %i columns: no line wraps, and each task shows once however often it is redrawn',
    async (columns) => {
      const { terminal, written, lines } = await demoOn(columns);
      expect(terminal.wraps).toBe(0);
      expect(lines.every((line) => line.length < columns)).toBe(true);
      // It was redrawn in place many times, and still each task has one line, in order.
      expect(written.split('\x1b[6A').length - 1).toBeGreaterThan(3);
      expect(liveRows(lines).map((line) => line.split(' ')[0])).toEqual([
        't-1',
        't-2',
        't-3',
        't-4',
        't-5',
        't-6',
      ]);
      expect(liveRows(lines).join('\n')).toMatch(/^t-6 .* cancelled$/m);
      expect(lines).toContain('every task ended as expected');
      // The summary fits too, one row per task.
      expect(lines.filter((line) => /^t-5\b/.test(line))).toHaveLength(2);
    },
  );

  it('falls back to plain lines below 60 columns, with nothing redrawn', async () => {
    const { terminal, written, lines } = await demoOn(59);
    expect(written).not.toContain('\x1b[');
    expect(liveRows(lines)).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/ t-2 long task with progress: running/));
    // Log lines may wrap there; the summary does not.
    const summary = lines.slice(lines.findIndex((line) => /^t-1 success: acked/.test(line)));
    expect(summary.slice(0, 6).every((line) => line.length < 59)).toBe(true);
    expect(terminal.text().at(-2)).toBe('every task ended as expected');
  });
});
