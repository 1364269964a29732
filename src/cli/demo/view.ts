/**
 * What the demo shows: on a TTY, one line per task redrawn in place (progress bar and state);
 * otherwise plain log lines as tasks change. Then a summary table.
 */
import { styleText } from 'node:util';
import type { TaskRecord } from '../../dev-gateway/index.js';
import { table } from '../format.js';
import { type DemoTask, endingOf } from './scenario.js';

export interface Output {
  write(text: string): unknown;
}

export interface Row {
  demo: DemoTask;
  task: TaskRecord;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 50;

function bar(percent: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

function percentOf(task: TaskRecord): number {
  if (task.state === 'acked') return 100;
  return task.progress.last?.percent ?? 0;
}

function stateText(row: Row, color: boolean): string {
  const ending = endingOf(row.task);
  const paint = (style: Parameters<typeof styleText>[0], text: string): string =>
    color ? styleText(style, text) : text;
  if (ending === undefined) {
    const { state, attempts } = row.task;
    if (state === 'leased') return paint('cyan', `running (attempt ${attempts})`);
    return paint(
      'cyan',
      attempts === 0 ? 'pending' : `pending redelivery (after attempt ${attempts})`,
    );
  }
  const ok = ending === row.demo.expected;
  return (
    paint(ending === 'acked' ? 'green' : 'yellow', ending) +
    (ok ? '' : paint('red', ' (unexpected)'))
  );
}

const pad = (text: string, width: number): string => text.padEnd(width);

/** One line per task, redrawn in place. */
export function createLiveView(out: Output, rows: Row[]) {
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    timer = undefined;
    let text = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const row of rows) {
      const line = `${pad(row.task.taskId, 5)} ${pad(row.demo.label, 24)} ${pad(row.task.capabilityType, 12)} ${bar(percentOf(row.task))} ${stateText(row, true)}`;
      text += `\x1b[2K${line}\n`;
    }
    drawn = rows.length;
    out.write(text);
  };
  return {
    update(): void {
      timer ??= setTimeout(draw, REDRAW_MS);
    },
    finish(): void {
      if (timer) clearTimeout(timer);
      draw();
    },
  };
}

/** A log line whenever a task's state or progress decile changes. */
export function createPlainView(out: Output, rows: Row[]) {
  const seen = new Map<string, string>();
  return {
    update(): void {
      for (const row of rows) {
        const decile = Math.floor(percentOf(row.task) / 10);
        const key = `${row.task.state}:${row.task.attempts}:${decile}`;
        if (seen.get(row.task.taskId) === key) continue;
        seen.set(row.task.taskId, key);
        const time = new Date().toISOString().slice(11, 23);
        out.write(
          `${time} ${row.task.taskId} ${row.demo.label}: ${stateText(row, false)} ${percentOf(row.task)}%\n`,
        );
      }
    },
    finish(): void {},
  };
}

function outcomeText(task: TaskRecord): string {
  const outcome = task.outcome;
  if (!outcome) return '';
  if (outcome.type === 'ack') return `ack ${JSON.stringify(outcome.output)}`.slice(0, 40);
  if (outcome.type === 'nack')
    return `nack ${outcome.kind}${outcome.code ? ` ${outcome.code}` : ''}`;
  return outcome.type;
}

/** The final table: what each task showed and how it ended. */
export function summaryTable(rows: Row[]): string {
  const header = ['task', 'shows', 'capability', 'ended', 'attempts', 'outcome'];
  const body = rows.map((row) => [
    row.task.taskId,
    row.demo.label,
    row.task.capabilityType,
    endingOf(row.task) ?? row.task.state,
    String(row.task.attempts),
    outcomeText(row.task),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]?.length ?? 0)));
  return table(header, [widths.map((w) => '─'.repeat(w)), ...body]);
}
