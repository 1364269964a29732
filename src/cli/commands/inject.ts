import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { TaskRecord, TaskSpec } from '../../dev-gateway/types.js';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { EXIT_CODES_HELP, ExitCode, usage } from '../errors.js';
import { label, painter } from '../format.js';
import { out, useColour, warn } from '../io.js';
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
      new Option('--input <json>', 'the task input, as JSON (default: null)').conflicts(
        'inputFile',
      ),
    )
    .option('--input-file <file>', 'read the task input from a JSON file')
    .option('--on-behalf-of <userId>', 'the user the task runs for (reaches neurons of that scope)')
    .option('--wait', 'follow the task: print its progress and outcome, exit with its result')
    .addOption(
      new Option('--timeout <ms>', 'with --wait: stop waiting after this long (exit 8)')
        .argParser(integer('--timeout', 1))
        .implies({ wait: true }),
    )
    .option('--json', 'print the task record as JSON (with --wait: once settled)')
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Examples:
  $ neuron inject examples/echo --input '{"text":"hi"}' --wait
  $ neuron inject examples/echo --input-file task.json --on-behalf-of alice
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
  const spec: TaskSpec = { capabilityType, input: await readInput(options) };
  if (options.onBehalfOf !== undefined) spec.onBehalfOf = options.onBehalfOf;
  const client = devClientFor(io, options.gateway);
  const { task, servedBy } = await client.post<{ task: TaskRecord; servedBy: number }>(
    '/tasks',
    spec,
  );
  if (!options.json || !options.wait) {
    const line = `${label(painter(useColour(io)), 'gray', 'submitted')}${task.taskId} ${capabilityType}`;
    out(io, options.json ? JSON.stringify({ task, servedBy }) : line);
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
  return waitForTask(client, task, wait, io);
}

/** `--input` parsed, or `--input-file`'s content parsed, or `null`. */
async function readInput(options: InjectOptions): Promise<unknown> {
  if (options.inputFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.inputFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw usage(`cannot read --input-file ${options.inputFile} (${code}); check the path`);
    }
    return parseJson(text, `--input-file ${options.inputFile}`, 'fix the file');
  }
  if (options.input === undefined) return null;
  const hint = `pass JSON quoted for the shell, e.g. --input '{"text":"hi"}' or --input '"hi"'`;
  return parseJson(options.input, '--input', hint);
}

function parseJson(text: string, from: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    throw usage(`${from} is not valid JSON (${why}); ${hint}`);
  }
}
