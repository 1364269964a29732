import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { ExitCode, notFound } from '../errors.js';
import { out } from '../io.js';
import { checkCapabilityType, gatewayOption } from '../options.js';

export interface RevokeOptions {
  neuron?: string;
  reason?: string;
  gateway?: string;
}

export function registerRevoke(program: Command, ctx: CommandContext): void {
  program
    .command('revoke')
    .description('revoke a capability: its neurons get no more of its tasks until they re-register')
    .argument('<capabilityType>', 'the capability to revoke, e.g. examples/echo')
    .option('--neuron <neuronId>', 'only from this neuron (default: every neuron serving it)')
    .option('--reason <text>', 'why, passed to the neuron in the capability-revoked frame')
    .addOption(gatewayOption())
    .action(async (type: string, options: RevokeOptions) =>
      ctx.done(await revoke(type, options, ctx)),
    );
}

export async function revoke(
  capabilityType: string,
  options: RevokeOptions,
  { io }: CommandContext,
): Promise<number> {
  checkCapabilityType(capabilityType);
  const client = devClientFor(io, options.gateway);
  const who =
    options.neuron === undefined ? 'no neuron serves' : `neuron ${options.neuron} does not serve`;
  const { revoked } = await notFound(
    client.post<{ revoked: string[] }>('/capabilities/revoke', {
      capabilityType,
      ...(options.neuron !== undefined && { neuronId: options.neuron }),
      ...(options.reason !== undefined && { reason: options.reason }),
    }),
    `${who} ${capabilityType} (or it is revoked already); see \`neuron neurons\``,
  );
  out(io, `revoked ${capabilityType} from ${revoked.join(', ')}`);
  return ExitCode.OK;
}
