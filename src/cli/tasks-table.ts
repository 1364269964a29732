/** The table `neuron tasks` prints (and `--watch` redraws): one row per task. */
import type { TaskRecord } from '../dev-gateway/types.js';
import { outcomeText, painter, progressText, STATE_STYLE, short, table } from './format.js';
import { type CliIo, useColour } from './io.js';

/** The table of `neuron tasks`: one row per task, its state coloured. */
export function tasksTable(records: readonly TaskRecord[], io: CliIo): string {
  const headers = ['ID', 'CAPABILITY', 'STATE', 'ATTEMPTS', 'PROGRESS', 'OUTCOME'];
  const rows = records.map((task) => [
    task.taskId,
    task.capabilityType,
    task.cancelRequested && task.state === 'leased' ? 'leased*' : task.state,
    `${task.attempts}/${task.maxAttempts}`,
    short(progressText(task), 30),
    short(
      task.state === 'pending' && task.retryAt ? retryText(task) : outcomeText(task.outcome),
      60,
    ),
  ]);
  const paint = painter(useColour(io));
  const text = table(headers, rows, (row, column, cell) =>
    column === 2 ? paint(STATE_STYLE[records[row]!.state], cell) : cell,
  );
  const note = records.some((t) => t.cancelRequested && t.state === 'leased')
    ? '\n* cancel requested; it settles when the neuron answers'
    : '';
  return text + note;
}

function retryText(task: TaskRecord): string {
  const seconds = Math.max(0, task.retryAt! - Date.now()) / 1_000;
  return `retry in ${seconds.toFixed(1)} s`;
}
