import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { ExitCode, notFound } from '../errors.js';
import { out } from '../io.js';
import { gatewayOption, integer } from '../options.js';

export interface DisconnectOptions {
  reconnectAfter?: number;
  reason?: string;
  gateway?: string;
}

export function registerDisconnect(program: Command, ctx: CommandContext): void {
  program
    .command('disconnect')
    .description('send a neuron a disconnect frame and end its stream (it reconnects)')
    .argument('<neuronId>', 'the neuron, as `neuron neurons` shows it')
    .option(
      '--reconnect-after <ms>',
      'ask it to wait this long before reconnecting',
      integer('--reconnect-after', 0),
    )
    .option('--reason <text>', 'why, passed in the disconnect frame')
    .addOption(gatewayOption())
    .action(async (neuronId: string, options: DisconnectOptions) =>
      ctx.done(await disconnect(neuronId, options, ctx)),
    );
}

export async function disconnect(
  neuronId: string,
  options: DisconnectOptions,
  { io }: CommandContext,
): Promise<number> {
  const client = devClientFor(io, options.gateway);
  await notFound(
    client.post(`/neurons/${encodeURIComponent(neuronId)}/disconnect`, {
      ...(options.reason !== undefined && { reason: options.reason }),
      ...(options.reconnectAfter !== undefined && { reconnectAfterMs: options.reconnectAfter }),
    }),
    `neuron ${neuronId} is not connected to ${client.baseUrl}; see \`neuron neurons\``,
  );
  const after =
    options.reconnectAfter === undefined
      ? ''
      : ` (asked to reconnect after ${options.reconnectAfter} ms)`;
  out(io, `disconnected ${neuronId}${after}`);
  return ExitCode.OK;
}
