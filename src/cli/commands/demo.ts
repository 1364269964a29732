import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { inspectorHelp, inspectPort, loadForInspect, startInspector } from '../inspect-option.js';
import { out, stdoutOf, useColour } from '../io.js';

export interface DemoCommandOptions {
  plain?: boolean;
  /** `--inspect [port]`: `true` for a free port. */
  inspect?: boolean | number;
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('run a gateway and a neuron in-process and show every task outcome live')
    .option('--plain', 'plain log lines, even on a terminal')
    .option(
      '--inspect [port]',
      "send the neuron's actors to an inspector relay on 127.0.0.1 (default: a free port); the run's gateway and dashboard stay up until Ctrl-C",
      inspectPort,
    )
    .action(async (options: DemoCommandOptions) => {
      // Loaded on use: the other commands do not pay for the demo's modules.
      const { runDemo } = await import('../demo/index.js');
      const plain = options.plain === true;
      const { io } = ctx;
      const out = stdoutOf(io);
      if (options.inspect === undefined) {
        return ctx.done(await runDemo({ plain, out, colour: useColour(io) }));
      }
      const port = options.inspect === true ? 0 : Number(options.inspect);
      ctx.done(await inspectDemo(ctx, port, plain));
    });
}

/**
 * The demo with its neuron's actors sent to a local relay; the relay and the demo's gateway stay
 * up (the relay replaying what it got to a page opened late) until Ctrl-C.
 */
async function inspectDemo(ctx: CommandContext, port: number, plain: boolean): Promise<number> {
  const [{ runDemo }, { createWebSocketInspector }] = await Promise.all([
    import('../demo/index.js'),
    loadForInspect(() => import('@statelyai/inspect')),
  ]);
  const { io } = ctx;
  const server = await startInspector(port);
  const inspector = createWebSocketInspector({ url: server.wsUrl, maxDeferredEvents: 5_000 });
  try {
    for (const line of inspectorHelp(server)) out(io, line);
    out(io, '');
    const code = await runDemo({
      plain,
      inspect: inspector.inspect,
      inspectUrl: server.wsUrl,
      out: stdoutOf(io),
      colour: useColour(io),
      // The gateway stays up with its dashboard, whose page the relay replays the run to.
      holdOpen: async (dashboard) => {
        // The inspector hands events over on a later tick: let the last ones go.
        await new Promise((resolve) => setTimeout(resolve, 10));
        const signal = io.watchSignals?.();
        if (!signal || signal.aborted) return;
        out(io, `\nthe dashboard keeps the run's actors at ${dashboard} · Ctrl-C to stop`);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    });
    return code;
  } finally {
    inspector.stop();
    await server.close();
  }
}
