/** Text rendering shared by the commands: tables, task outcomes, short values, colours. */
import { styleText } from 'node:util';
import type { TaskOutcome, TaskRecord, TaskState } from '../dev-gateway/types.js';

export type Style = Parameters<typeof styleText>[0];

/**
 * `styleText` when colouring, the text as is otherwise. The caller decides (`useColour`), so
 * `styleText`'s own check of `process.stdout` is turned off.
 */
export function painter(colour: boolean) {
  return (style: Style, text: string): string =>
    colour ? styleText(style, text, { validateStream: false }) : text;
}

export type Paint = ReturnType<typeof painter>;

/** A status word in a fixed-width column, `submitted t-1 …`, `leased    t-1 …`. */
export function label(paint: Paint, style: Style, word: string): string {
  return `${paint(style, word.padEnd(9))} `;
}

export const STATE_STYLE: Record<TaskState, Style> = {
  pending: 'gray',
  leased: 'cyan',
  acked: 'green',
  failed: 'red',
  cancelled: 'yellow',
};

/** A value as it appears in a log line or a table cell: JSON, cut at `max` characters. */
export function short(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `50% hashed 2/5`, `3 updates`, or `-`. */
export function progressText(task: TaskRecord): string {
  const last = task.progress.last;
  if (!last) return '-';
  const percent = last.percent === undefined ? '' : `${Math.round(last.percent)}%`;
  const text = [percent, last.message ?? ''].filter(Boolean).join(' ');
  return text || `${task.progress.count} update${task.progress.count === 1 ? '' : 's'}`;
}

/** One phrase for how a task settled: `ack in 3 ms`, `terminal nack (BAD_URL): boom`… */
export function outcomeText(outcome: TaskOutcome | undefined): string {
  if (!outcome) return '-';
  switch (outcome.type) {
    case 'ack':
      return outcome.durationMs === undefined ? 'ack' : `ack in ${outcome.durationMs} ms`;
    case 'nack': {
      const phase = outcome.details?.phase ? ` (${outcome.details.phase})` : '';
      const code = outcome.code ? ` ${outcome.code}` : '';
      return `${outcome.kind}${phase} nack${code}: ${outcome.reason}`;
    }
    case 'cancelled':
      return outcome.reason ? `cancelled: ${outcome.reason}` : 'cancelled';
    case 'lease-lost':
      return `lease lost (${outcome.reason}) on the last attempt`;
  }
}

/**
 * Left-aligned columns, two spaces apart. `paint` styles a cell after padding, so colour codes
 * do not skew the widths.
 */
export function table(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  paint: (row: number, column: number, text: string) => string = (_, __, text) => text,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[], row: number) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
        return row < 0 ? padded : paint(row, i, padded);
      })
      .join('  ')
      .trimEnd();
  return [line(headers, -1), ...rows.map((row, i) => line(row, i))].join('\n');
}
