import type { Command } from 'commander';
import type { NeuronInfo } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { table } from '../format.js';
import { out } from '../io.js';
import { fetchList, type ListOptions, registerList } from './list.js';

export function registerNeurons(program: Command, ctx: CommandContext): void {
  registerList(
    program,
    ctx,
    {
      name: 'neurons',
      description: 'list the neurons connected to a running `neuron dev` gateway',
      what: 'neuron records',
    },
    neurons,
  );
}

export async function neurons(options: ListOptions, { io }: CommandContext): Promise<number> {
  const records = await fetchList<NeuronInfo>(
    io,
    options,
    '/neurons',
    'no neurons connected; start one with the BIGBRAIN_* lines `neuron dev` printed',
  );
  if (!records) return ExitCode.OK;
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
