/**
 * What the demo shows while it runs: on a terminal at least {@link MIN_LIVE_COLUMNS} wide, one
 * line per task redrawn in place (progress bar and state); otherwise plain log lines as tasks
 * change.
 *
 * A redrawn line must never be wider than the terminal: a line that wraps takes two rows, the
 * cursor then goes back up too few, and every redraw leaves a copy of the table in the
 * scrollback. So the layout is chosen for the width, and each line is cut to it besides.
 */
import type { TaskRecord } from '../../dev-gateway/index.js';
import { type Paint, painter, type Style } from '../format.js';
import { type DemoTask, endingOf } from './scenario.js';

export interface Output {
  write(text: string): unknown;
  /** The terminal's width, when it is one (`process.stdout.columns`). */
  columns?: number;
}

export interface Row {
  demo: DemoTask;
  task: TaskRecord;
}

export interface View {
  update(): void;
  finish(): void;
}

/** Narrower terminals get plain lines: a useful live line does not fit in less. */
export const MIN_LIVE_COLUMNS = 60;
/** Assumed when a terminal does not say how wide it is. */
export const DEFAULT_COLUMNS = 80;
const REDRAW_MS = 50;
/** While a task waits out a retry backoff, its countdown is redrawn this often. */
const COUNTDOWN_MS = 200;

function percentOf(task: TaskRecord): number {
  if (task.state === 'acked') return 100;
  return task.progress.last?.percent ?? 0;
}

/** The state column: what the task does now, or how it ended. */
function stateText(row: Row, now: number): { text: string; style: Style } {
  const ending = endingOf(row.task);
  if (ending === undefined) {
    const { state, attempts, retryAt } = row.task;
    if (state === 'leased') return { text: `running (attempt ${attempts})`, style: 'cyan' };
    if (retryAt !== undefined) {
      const wait = Math.max(0, retryAt - now) / 1000;
      return { text: `attempt ${attempts + 1} in ${wait.toFixed(1)} s`, style: 'yellow' };
    }
    return { text: attempts === 0 ? 'pending' : `attempt ${attempts + 1} queued`, style: 'cyan' };
  }
  const ok = ending === row.demo.expected;
  return { text: ok ? ending : `${ending} (unexpected)`, style: ok ? 'green' : 'red' };
}

/** Cuts `text` to `width` characters, marking a cut with `…`. */
export function cut(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** `text` broken at spaces into lines of at most `width` characters (a longer word is cut). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = cut(line ? `${line} ${word}` : word, width);
  }
  return [...lines, line];
}

interface Layout {
  label: number;
  capability: number;
  bar: number;
  state: number;
}

/** Fits every state but an unexpected ending's note, which the summary spells out. */
const STATE_WIDTH = 24;
const MIN_LABEL = 10;

/**
 * Column widths for a line of at most `room` characters: the full layout if it fits, else a
 * shorter bar, then no capability column, then shorter labels and states.
 */
function layoutFor(rows: readonly Row[], room: number): Layout {
  const widest = (values: string[]) => Math.max(...values.map((v) => v.length));
  const id = widest(rows.map((r) => r.task.taskId));
  const label = widest(rows.map((r) => r.demo.label));
  const capability = widest(rows.map((r) => r.task.capabilityType));
  const width = (l: Layout) =>
    id + 1 + l.label + 1 + (l.capability && l.capability + 1) + l.bar + 3 + l.state;
  const candidates: Layout[] = [
    { label, capability, bar: 20, state: STATE_WIDTH },
    { label, capability, bar: 10, state: STATE_WIDTH },
    { label, capability: 0, bar: 10, state: STATE_WIDTH },
  ];
  const fits = candidates.find((l) => width(l) <= room);
  if (fits) return fits;
  const narrow: Layout = { label, capability: 0, bar: 8, state: 22 };
  narrow.label = Math.max(MIN_LABEL, label - (width(narrow) - room));
  return narrow;
}

function bar(percent: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** One task's line, at most `room` characters wide before colour. */
function liveLine(row: Row, layout: Layout, idWidth: number, paint: Paint, now: number) {
  const state = stateText(row, now);
  const cells = [
    row.task.taskId.padEnd(idWidth),
    cut(row.demo.label, layout.label).padEnd(layout.label),
    ...(layout.capability ? [row.task.capabilityType.padEnd(layout.capability)] : []),
    bar(percentOf(row.task), layout.bar),
  ];
  return `${cells.join(' ')} ${paint(state.style, cut(state.text, layout.state))}`;
}

/** One line per task, redrawn in place; the layout follows the terminal's current width. */
export function createLiveView(out: Output, rows: Row[], colour: boolean): View {
  const paint = painter(colour);
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    timer = undefined;
    const now = Date.now();
    // One column spare: some terminals wrap as soon as the last column is written.
    const room = (out.columns ?? DEFAULT_COLUMNS) - 1;
    const layout = layoutFor(rows, room);
    const idWidth = Math.max(...rows.map((r) => r.task.taskId.length));
    let text = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const row of rows) text += `\x1b[2K\r${liveLine(row, layout, idWidth, paint, now)}\n`;
    drawn = rows.length;
    out.write(text);
    // A retry countdown moves without any event: keep drawing while one runs.
    if (rows.some((r) => r.task.retryAt !== undefined && r.task.state === 'pending')) {
      timer = setTimeout(draw, COUNTDOWN_MS);
    }
  };
  return {
    update(): void {
      timer ??= setTimeout(draw, REDRAW_MS);
    },
    finish(): void {
      clearTimeout(timer);
      draw();
      clearTimeout(timer);
    },
  };
}

/** A log line whenever a task's state or progress decile changes. */
export function createPlainView(out: Output, rows: Row[]): View {
  const seen = new Map<string, string>();
  return {
    update(): void {
      const now = Date.now();
      for (const row of rows) {
        const decile = Math.floor(percentOf(row.task) / 10);
        const key = `${row.task.state}:${row.task.attempts}:${decile}:${row.task.retryAt}`;
        if (seen.get(row.task.taskId) === key) continue;
        seen.set(row.task.taskId, key);
        const time = new Date(now).toISOString().slice(11, 23);
        const state = stateText(row, now).text;
        out.write(
          `${time} ${row.task.taskId} ${row.demo.label}: ${state} ${percentOf(row.task)}%\n`,
        );
      }
    },
    finish(): void {},
  };
}
