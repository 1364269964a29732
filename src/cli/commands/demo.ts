import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

export interface DemoCommandOptions {
  plain?: boolean;
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('run a gateway and a neuron in-process and show every task outcome live')
    .option('--plain', 'plain log lines, even on a terminal')
    .action(async (options: DemoCommandOptions) => {
      // Loaded on use: the other commands do not pay for the demo's modules.
      const { runDemo } = await import('../demo/index.js');
      ctx.done(await runDemo({ plain: options.plain === true }));
    });
}
