import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { TaskRecord, TaskSpec } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { EXIT_CODES_HELP, ExitCode, usage, withoutFinalStop } from '../errors.js';
import { label, painter } from '../format.js';
import { type CliIo, out, useColour, warn } from '../io.js';
import { checkCapabilityType, gatewayOption, integer } from '../options.js';
import { type WaitOptions, waitForTask } from './wait.js';

export interface InjectOptions {
  input?: string;
  inputFile?: string;
  onBehalfOf?: string;
  wait?: boolean;
  timeout?: number;
  json?: boolean;
  gateway?: string;
}

export function registerInject(program: Command, ctx: CommandContext): void {
  program
    .command('inject')
    .description('submit a task to a running `neuron dev` gateway')
    .argument('<capabilityType>', "the capability to run, '{owner}/{package}[/{name}][.{variant}]'")
    .addOption(
      new Option(
        '--input <json>',
        "the task input, as JSON (default: null); '-' reads stdin",
      ).conflicts('inputFile'),
    )
    .option('--input-file <file>', "read the task input from a JSON file; '-' reads stdin")
    .option('--on-behalf-of <userId>', 'the user the task runs for (reaches neurons of that scope)')
    .option('--wait', 'follow the task: print its progress and outcome, exit with its result')
    .addOption(
      new Option(
        '--timeout <ms>',
        'implies --wait: stop waiting after this long (exit 8); the task keeps going',
      )
        .argParser(integer('--timeout', 1))
        .implies({ wait: true }),
    )
    .option(
      '--json',
      'print { task, servedBy } as JSON: the task as submitted, or with --wait as it settled',
    )
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Examples:
  $ neuron inject examples/echo --input '{"text":"hi"}' --wait
  $ neuron inject examples/echo --input-file task.json --on-behalf-of alice
  $ jq -n '{text: "hi"}' | neuron inject examples/echo --input - --wait --json
${EXIT_CODES_HELP}`,
    )
    .action(async (type: string, options: InjectOptions) =>
      ctx.done(await inject(type, options, ctx)),
    );
}

export async function inject(
  capabilityType: string,
  options: InjectOptions,
  { io }: CommandContext,
): Promise<number> {
  checkCapabilityType(capabilityType);
  const spec: TaskSpec = { capabilityType, input: await readInput(options, io) };
  if (options.onBehalfOf !== undefined) spec.onBehalfOf = options.onBehalfOf;
  const client = devClientFor(io, options.gateway);
  const { task, servedBy } = await client.post<{ task: TaskRecord; servedBy: number }>(
    '/tasks',
    spec,
  );
  if (!options.json) {
    out(
      io,
      `${label(painter(useColour(io)), 'gray', 'submitted')}${task.taskId} ${capabilityType}`,
    );
  } else if (!options.wait) {
    out(io, JSON.stringify({ task, servedBy }));
  }
  if (servedBy === 0) {
    const scope = spec.onBehalfOf === undefined ? '' : ` for ${spec.onBehalfOf}`;
    const then = options.wait ? 'waiting for one to register' : 'start a neuron that serves it';
    warn(
      io,
      `no neuron serves ${capabilityType}${scope}; task ${task.taskId} stays pending (${then})`,
    );
  }
  if (!options.wait) return servedBy === 0 ? ExitCode.PENDING : ExitCode.OK;
  const wait: WaitOptions = { json: options.json === true };
  if (options.timeout !== undefined) wait.timeoutMs = options.timeout;
  const { code, settled } = await waitForTask(client, task, wait, io);
  // The same shape as without --wait, so a script reads one or the other alike.
  if (options.json) out(io, JSON.stringify({ task: settled, servedBy }));
  return code;
}

/** `--input` parsed, or `--input-file`'s content parsed (either from stdin for `-`), or `null`. */
async function readInput(options: InjectOptions, io: CliIo): Promise<unknown> {
  const { input, inputFile } = options;
  if (input === '-' || inputFile === '-') {
    const from = input === '-' ? '--input -' : '--input-file -';
    if (!io.stdin) throw usage(`${from} reads stdin, and this run has none`);
    const text = await io.stdin();
    if (text.trim() === '') throw usage(`${from}: stdin was empty; pipe the JSON input in`);
    return parseJson(text, `${from} (stdin)`, 'pipe valid JSON in');
  }
  if (inputFile !== undefined) {
    let text: string;
    try {
      text = await readFile(inputFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw usage(`cannot read --input-file ${inputFile} (${code}); check the path`);
    }
    return parseJson(text, `--input-file ${inputFile}`, 'fix the file');
  }
  if (input === undefined) return null;
  const hint = `pass JSON quoted for the shell, e.g. --input '{"text":"hi"}' or --input '"hi"'`;
  return parseJson(input, '--input', hint);
}

function parseJson(text: string, from: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's message may end in a period; the hint follows after a semicolon.
    const why = withoutFinalStop((err as Error).message.split('\n')[0]!);
    throw usage(`${from} is not valid JSON (${why}); ${hint}`);
  }
}
