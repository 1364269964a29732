import type { Command } from 'commander';
import type { ClientInfo } from '../../dev-gateway/identity/types.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { short, table } from '../format.js';
import { out } from '../io.js';
import { fetchList, type ListOptions, registerList } from './list.js';

export function registerClients(program: Command, ctx: CommandContext): void {
  registerList(
    program,
    ctx,
    {
      name: 'clients',
      description: 'list the neurons enrolled with a running `neuron dev` gateway (their clients)',
      what: 'client records',
    },
    clients,
  );
}

export async function clients(options: ListOptions, { io }: CommandContext): Promise<number> {
  const records = await fetchList<ClientInfo>(
    io,
    options,
    '/identity/clients',
    'no clients enrolled; enroll a neuron with `neuron enroll --moku-url <the URL neuron dev printed>`',
  );
  if (!records) return ExitCode.OK;
  const rows = records.map((client) => [
    client.clientId,
    client.clientName ?? '-',
    client.revokedAt === undefined ? 'enrolled' : 'revoked',
    client.orgId ?? '-',
    client.neurons.join(', ') || '-',
    short(client.capabilities.join(', ') || '-', 60),
  ]);
  out(io, table(['CLIENT', 'NAME', 'STATE', 'ORG', 'CONNECTED', 'CAPABILITIES (requested)'], rows));
  return ExitCode.OK;
}
