import type { Command } from 'commander';
import type { TaskRecord } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { EXIT_CODES_HELP, ExitCode, notFound } from '../errors.js';
import { painter } from '../format.js';
import { out, useColour } from '../io.js';
import { gatewayOption } from '../options.js';
import { taskDetail } from '../task-detail.js';
import { tasksTable } from '../tasks-table.js';
import { watchTasks } from './tasks-watch.js';
import { waitForTask } from './wait.js';

export interface TasksOptions {
  json?: boolean;
  watch?: boolean;
  gateway?: string;
}

export function registerTasks(program: Command, ctx: CommandContext): void {
  program
    .command('tasks')
    .description('list the tasks of a running `neuron dev` gateway, or show one task in full')
    .argument('[taskId]', "one task's history: every attempt, its progress and outcome")
    .option('--json', 'print the task records (or the one task) as JSON')
    .option(
      '--watch',
      'keep going: redraw the list as tasks change (Ctrl-C stops), or follow one task until it settles',
    )
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Examples:
  $ neuron tasks                 # every task and its state
  $ neuron tasks t-3             # t-3's attempts, leases, progress and outcome
  $ neuron tasks --watch         # live; with --json, one JSON line per change
  $ neuron tasks t-3 --watch     # follow t-3; exits like inject --wait (0 acked, 6 failed, 7 cancelled)
${EXIT_CODES_HELP}`,
    )
    .action(async (taskId: string | undefined, options: TasksOptions) =>
      ctx.done(await (taskId === undefined ? tasks(options, ctx) : oneTask(taskId, options, ctx))),
    );
}

export async function tasks(options: TasksOptions, { io }: CommandContext): Promise<number> {
  const client = devClientFor(io, options.gateway);
  if (options.watch) return watchTasks(client, { json: options.json === true }, io);
  const records = await client.get<TaskRecord[]>('/tasks');
  if (options.json) out(io, JSON.stringify(records, null, 2));
  else if (records.length === 0) {
    out(io, 'no tasks yet; submit one with `neuron inject <capabilityType>`');
  } else out(io, tasksTable(records, io));
  return ExitCode.OK;
}

async function oneTask(
  taskId: string,
  options: TasksOptions,
  { io }: CommandContext,
): Promise<number> {
  const client = devClientFor(io, options.gateway);
  const missing = `no task ${taskId} on ${client.baseUrl}; list them with \`neuron tasks\``;
  const task = await notFound(
    client.get<TaskRecord>(`/tasks/${encodeURIComponent(taskId)}`),
    missing,
  );
  if (options.watch) {
    const { code, settled } = await waitForTask(client, task, { json: options.json === true }, io);
    if (options.json) out(io, JSON.stringify(settled, null, 2));
    return code;
  }
  if (options.json) out(io, JSON.stringify(task, null, 2));
  else for (const line of taskDetail(task, painter(useColour(io)))) out(io, line);
  return ExitCode.OK;
}
