import type { Command } from 'commander';
import type { DeviceCodeInfo } from '../../dev-gateway/identity/types.js';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { ExitCode, notFound, usage } from '../errors.js';
import { out } from '../io.js';
import { gatewayOption } from '../options.js';

export interface ApproveOptions {
  deny?: boolean;
  gateway?: string;
}

export function registerApprove(program: Command, ctx: CommandContext): void {
  program
    .command('approve')
    .description('approve (or --deny) a neuron waiting in `neuron enroll`, by its user code')
    .argument('<user-code>', 'the code `neuron enroll` printed, e.g. WDJB-MJHT (any case)')
    .option('--deny', 'deny the enrollment instead: the neuron stops with "denied"')
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
The neuron's next poll gets its answer: approved, it registers and writes its credential file.
The dashboard's /device page does the same with a click.`,
    )
    .action(async (userCode: string, options: ApproveOptions) =>
      ctx.done(await approve(userCode, options, ctx)),
    );
}

export async function approve(
  userCode: string,
  options: ApproveOptions,
  { io }: CommandContext,
): Promise<number> {
  if (!/[a-z]/i.test(userCode)) {
    throw usage(
      `'${userCode}' is not a user code; pass the one \`neuron enroll\` printed, e.g. WDJB-MJHT`,
    );
  }
  const client = devClientFor(io, options.gateway);
  const action = options.deny ? 'deny' : 'approve';
  const code = await notFound(
    client.post<DeviceCodeInfo>(`/identity/device-codes/${encodeURIComponent(userCode)}/${action}`),
    `no enrollment waits with user code ${userCode} at ${client.baseUrl} (unknown, or expired); check the code \`neuron enroll\` printed`,
  );
  const who = code.clientName ? ` (${code.clientName})` : '';
  const wants = code.capabilities.length > 0 ? `; requested ${code.capabilities.join(', ')}` : '';
  out(io, `${options.deny ? 'denied' : 'approved'} ${code.userCode}${who}${wants}`);
  return ExitCode.OK;
}
