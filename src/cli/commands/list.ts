/** What `neuron neurons` and `neuron clients` share: fetch a list, print it as JSON or say it is empty. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { devClientFor } from '../dev-client.js';
import { type CliIo, out } from '../io.js';
import { gatewayOption } from '../options.js';

export interface ListOptions {
  json?: boolean;
  gateway?: string;
}

/** Adds a list command: `--json` (printing `what` as a JSON array) and `--gateway`. */
export function registerList(
  program: Command,
  ctx: CommandContext,
  command: { name: string; description: string; what: string },
  list: (options: ListOptions, ctx: CommandContext) => Promise<number>,
): void {
  program
    .command(command.name)
    .description(command.description)
    .option('--json', `print the ${command.what} as a JSON array`)
    .addOption(gatewayOption())
    .action(async (options: ListOptions) => ctx.done(await list(options, ctx)));
}

/**
 * The records at `path`, for the caller to print as a table; `undefined` once they have been
 * printed as JSON (`--json`), or `empty` said that there are none.
 */
export async function fetchList<T>(
  io: CliIo,
  options: ListOptions,
  path: string,
  empty: string,
): Promise<T[] | undefined> {
  const records = await devClientFor(io, options.gateway).get<T[]>(path);
  if (options.json) {
    out(io, JSON.stringify(records, null, 2));
    return undefined;
  }
  if (records.length === 0) {
    out(io, empty);
    return undefined;
  }
  return records;
}
