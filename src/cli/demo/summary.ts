/**
 * The demo's closing summary: what each task showed and how it ended. A table when the terminal
 * (if any) is wide enough for it, else one line per task cut to the width.
 */
import type { TaskRecord } from '../../dev-gateway/index.js';
import { table } from '../format.js';
import { endingOf } from './scenario.js';
import { cut, type Row } from './view.js';

/** The outcome column is the last; below this it says too little to be worth a table. */
const MIN_OUTCOME = 16;

function outcomeText(task: TaskRecord): string {
  const outcome = task.outcome;
  if (!outcome) return '';
  if (outcome.type === 'ack') return cut(`ack ${JSON.stringify(outcome.output)}`, 40);
  if (outcome.type === 'nack')
    return `nack ${outcome.kind}${outcome.code ? ` ${outcome.code}` : ''}`;
  return outcome.type;
}

/** The summary's lines; `columns` undefined: not a terminal, so no width to fit. */
export function summaryLines(rows: readonly Row[], columns: number | undefined): string[] {
  const cells = rows.map((row) => ({
    task: row.task.taskId,
    shows: row.demo.label,
    capability: row.task.capabilityType,
    ended: endingOf(row.task) ?? row.task.state,
    attempts: String(row.task.attempts),
    outcome: outcomeText(row.task),
  }));
  const room = columns === undefined ? Number.POSITIVE_INFINITY : columns - 1;
  for (const columnsShown of [
    ['task', 'shows', 'capability', 'ended', 'attempts', 'outcome'],
    ['task', 'shows', 'ended', 'attempts', 'outcome'],
  ] as const) {
    const body = cells.map((c) => columnsShown.map((name) => c[name]));
    const widths = columnsShown.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    // Every column but the last, each followed by two spaces: what is left is the outcome's.
    const left = room - widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
    if (left < Math.min(MIN_OUTCOME, widths.at(-1)!)) continue;
    for (const r of body) r[r.length - 1] = cut(r.at(-1)!, left);
    const rule = widths.map((w, i) => '─'.repeat(i === widths.length - 1 ? Math.min(w, left) : w));
    return table(columnsShown, [rule, ...body]).split('\n');
  }
  return cells.map((c) =>
    cut(`${c.task} ${c.shows}: ${c.ended}, ${c.attempts} attempt(s), ${c.outcome}`, room),
  );
}
