import type { Command } from 'commander';
import type { NeuronInfo } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { createDevClient } from '../dev-client.js';
import { ExitCode } from '../errors.js';
import { table } from '../format.js';
import { out } from '../io.js';
import { gatewayOption, resolveGatewayUrl } from '../options.js';
import type { ListOptions } from './tasks.js';

export function registerNeurons(program: Command, ctx: CommandContext): void {
  program
    .command('neurons')
    .description('list the neurons connected to a running `neuron dev` gateway')
    .option('--json', 'print the neuron records as a JSON array')
    .addOption(gatewayOption())
    .action(async (options: ListOptions) => ctx.done(await neurons(options, ctx)));
}

export async function neurons(options: ListOptions, { io }: CommandContext): Promise<number> {
  const client = createDevClient(resolveGatewayUrl(io, options.gateway));
  const records = await client.get<NeuronInfo[]>('/neurons');
  if (options.json) {
    out(io, JSON.stringify(records, null, 2));
    return ExitCode.OK;
  }
  if (records.length === 0) {
    out(io, 'no neurons connected; start one with the BIGBRAIN_* lines `neuron dev` printed');
    return ExitCode.OK;
  }
  const rows = records.map((n) => [
    n.neuronId,
    n.stalled ? 'stalled' : n.streamOpen ? (n.dispatchable ? 'serving' : 'connected') : 'resuming',
    n.capabilities
      .map((c) => {
        const scope = c.scope === 'any' ? '' : ` user:${c.scope.onBehalfOf}`;
        return `${c.type}${scope} ${c.held}/${c.concurrency}${c.revoked ? ' revoked' : ''}`;
      })
      .join(', ') || '-',
  ]);
  out(io, table(['NEURON', 'STATE', 'CAPABILITIES (held/concurrency)'], rows));
  return ExitCode.OK;
}
