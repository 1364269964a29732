import type { Command } from 'commander';
import type { TaskRecord } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { ExitCode, notFound } from '../errors.js';
import { out } from '../io.js';
import { gatewayOption } from '../options.js';

const SETTLED: ReadonlySet<string> = new Set(['acked', 'failed', 'cancelled']);

export interface CancelOptions {
  reason?: string;
  gateway?: string;
}

export function registerCancel(program: Command, ctx: CommandContext): void {
  program
    .command('cancel')
    .description('cancel a task: a pending one at once, a leased one through its neuron')
    .argument('<taskId>', 'the task, as `neuron inject` or `neuron tasks` shows it')
    .option('--reason <text>', 'why, passed to the neuron in the cancel frame')
    .addOption(gatewayOption())
    .action(async (taskId: string, options: CancelOptions) =>
      ctx.done(await cancel(taskId, options, ctx)),
    );
}

export async function cancel(
  taskId: string,
  options: CancelOptions,
  { io }: CommandContext,
): Promise<number> {
  const client = devClientFor(io, options.gateway);
  const path = `/tasks/${encodeURIComponent(taskId)}`;
  const missing = `no task ${taskId} on ${client.baseUrl}; list them with \`neuron tasks\``;
  const before = await notFound(client.get<TaskRecord>(path), missing);
  if (SETTLED.has(before.state)) {
    out(io, `${taskId} is already ${before.state}; nothing to cancel`);
    return ExitCode.OK;
  }
  const body = options.reason === undefined ? {} : { reason: options.reason };
  const task = await notFound(client.post<TaskRecord>(`${path}/cancel`, body), missing);
  if (task.state === 'leased') {
    out(io, `cancel requested for ${taskId}; it settles when neuron ${task.neuronId} answers`);
  } else if (task.state === 'cancelled') {
    out(io, `cancelled ${taskId}`);
  } else {
    // It settled between the two requests.
    out(io, `${taskId} is already ${task.state}; nothing to cancel`);
  }
  return ExitCode.OK;
}
