import type { Command } from 'commander';
import type { CliIo } from './io.js';

/** What a command module gets to register itself on the program. */
export interface CommandContext {
  io: CliIo;
  /** Records the exit code `run()` resolves with. */
  done(code: number): void;
}

/** A command module: adds its command (options, help, action) to `program`. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;
