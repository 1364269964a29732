/**
 * The `neuron` command line: `run(argv, io)` parses `argv` (without `node` and the script) with
 * commander, runs the command and resolves with the exit code. `main.ts` wires it to the process;
 * tests call it in-process.
 */
import { Command, CommanderError } from 'commander';
import { SDK_VERSION } from '../version.js';
import { registerApprove } from './commands/approve.js';
import { registerCancel } from './commands/cancel.js';
import { registerClients } from './commands/clients.js';
import { registerDemo } from './commands/demo.js';
import { registerDev } from './commands/dev.js';
import { registerDisconnect } from './commands/disconnect.js';
import { registerEnroll } from './commands/enroll.js';
import { registerInject } from './commands/inject.js';
import { registerNeurons } from './commands/neurons.js';
import { registerRevoke } from './commands/revoke.js';
import { registerRevokeClient } from './commands/revoke-client.js';
import { registerTasks } from './commands/tasks.js';
import type { CommandContext, RegisterCommand } from './context.js';
import { CliError, EXIT_CODES_HELP, ExitCode, withoutFinalStop } from './errors.js';
import type { CliIo } from './io.js';

export type { CliIo } from './io.js';

const COMMANDS: RegisterCommand[] = [
  registerDev,
  registerInject,
  registerTasks,
  registerNeurons,
  registerCancel,
  registerRevoke,
  registerDisconnect,
  registerEnroll,
  registerApprove,
  registerClients,
  registerRevokeClient,
  registerDemo,
];

/** Commander's "exits" that are not errors. */
const CLEAN_EXITS = new Set([
  'commander.helpDisplayed',
  'commander.version',
  'commander.executeSubCommandAsync',
]);

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const ctx: CommandContext = {
    io,
    done: (code) => {
      exitCode = code;
    },
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return CLEAN_EXITS.has(err.code) ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof CliError) {
      io.stderr(`error: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug, not a user's mistake: still one line, and a pointer to the details.
    const message = err instanceof Error ? err.message : String(err);
    const line = withoutFinalStop(message.split('\n')[0]!);
    io.stderr(`error: ${line} (set NEURON_DEBUG=1 for the stack)\n`);
    if (io.env.NEURON_DEBUG) io.stderr(`${(err as Error).stack ?? ''}\n`);
    return ExitCode.ERROR;
  }
}

function buildProgram(ctx: CommandContext): Command {
  const { io } = ctx;
  const program = new Command('neuron')
    .description('Develop BigBrain neurons locally: run a dev gateway, inject tasks, watch them.')
    .version(SDK_VERSION, '-V, --version', 'print the SDK version')
    .helpOption('-h, --help', 'show help for the command')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput(output(io, 'neuron --help'))
    .addHelpText(
      'after',
      `
Start with \`neuron dev\` in one terminal, a neuron in another, then \`neuron inject\`.
Run \`neuron <command> --help\` for a command's options.
${EXIT_CODES_HELP}`,
    );
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands inherited the settings above; their errors point at their own help.
  for (const command of program.commands) {
    command.configureOutput(output(io, `neuron ${command.name()} --help`));
  }
  return program;
}

/** Help to stdout; commander's errors to stderr as one line, with where to read more. */
function output(io: CliIo, help: string) {
  return {
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: (text: string, write: (text: string) => void) =>
      write(`${withoutFinalStop(text.trim().replace(/\s*\n\s*/g, ' '))}; see \`${help}\`\n`),
  };
}
