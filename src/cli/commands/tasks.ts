import type { Command } from 'commander';
import type { TaskRecord } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { outcomeText, painter, progressText, STATE_STYLE, short, table } from '../format.js';
import { out, useColour } from '../io.js';
import { fetchList, type ListOptions, registerList } from './list.js';

export function registerTasks(program: Command, ctx: CommandContext): void {
  registerList(
    program,
    ctx,
    {
      name: 'tasks',
      description: 'list the tasks of a running `neuron dev` gateway and their states',
      what: 'task records',
    },
    tasks,
  );
}

export async function tasks(options: ListOptions, { io }: CommandContext): Promise<number> {
  const records = await fetchList<TaskRecord>(
    io,
    options,
    '/tasks',
    'no tasks yet; submit one with `neuron inject <capabilityType>`',
  );
  if (!records) return ExitCode.OK;
  const headers = ['ID', 'CAPABILITY', 'STATE', 'ATTEMPTS', 'PROGRESS', 'OUTCOME'];
  const rows = records.map((task) => [
    task.taskId,
    task.capabilityType,
    task.cancelRequested && task.state === 'leased' ? 'leased*' : task.state,
    `${task.attempts}/${task.maxAttempts}`,
    short(progressText(task), 30),
    short(outcomeText(task.outcome), 60),
  ]);
  const paint = painter(useColour(io));
  out(
    io,
    table(headers, rows, (row, column, text) =>
      column === 2 ? paint(STATE_STYLE[records[row]!.state], text) : text,
    ),
  );
  if (records.some((t) => t.cancelRequested && t.state === 'leased')) {
    out(io, '* cancel requested; it settles when the neuron answers');
  }
  return ExitCode.OK;
}
