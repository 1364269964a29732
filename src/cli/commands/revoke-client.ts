import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { ExitCode, notFound } from '../errors.js';
import { out } from '../io.js';
import { gatewayOption } from '../options.js';

export interface RevokeClientOptions {
  reason?: string;
  gateway?: string;
}

export function registerRevokeClient(program: Command, ctx: CommandContext): void {
  program
    .command('revoke-client')
    .description(
      "revoke an enrolled neuron's credential: its streams close, its tokens stop working",
    )
    .argument('<clientId>', 'the client, as `neuron clients` shows it (nrn_…)')
    .option('--reason <text>', 'why, passed to its neurons in the disconnect frame')
    .addOption(gatewayOption())
    .action(async (clientId: string, options: RevokeClientOptions) =>
      ctx.done(await revokeClient(clientId, options, ctx)),
    );
}

export async function revokeClient(
  clientId: string,
  options: RevokeClientOptions,
  { io }: CommandContext,
): Promise<number> {
  const client = devClientFor(io, options.gateway);
  const { disconnected } = await notFound(
    client.post<{ revoked: string; disconnected: string[] }>(
      `/identity/clients/${encodeURIComponent(clientId)}/revoke`,
      options.reason === undefined ? {} : { reason: options.reason },
    ),
    `no client ${clientId} is enrolled at ${client.baseUrl}; see \`neuron clients\``,
  );
  const closed =
    disconnected.length > 0 ? `; closed the streams of ${disconnected.join(', ')}` : '';
  out(io, `revoked ${clientId}${closed}`);
  return ExitCode.OK;
}
