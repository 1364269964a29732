/** Everything the CLI touches outside itself, so `run()` can be driven in-process by tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * stdout is a terminal: colours (unless `NO_COLOR` is set).
   * @default false
   */
  isTTY?: boolean;
  /** Reads all of stdin (`--input -`). Absent when the run has no stdin to read. */
  stdin?: () => Promise<string>;
  /** The terminal's width now, when stdout is one (it changes as the window is resized). */
  columns?: () => number | undefined;
  /** The terminal's height now, when stdout is one. */
  rows?: () => number | undefined;
  /**
   * Starts handling SIGINT/SIGTERM and returns a signal aborted on the first one. Only the
   * commands that must clean up call it (`dev`, `inject --wait`); the others keep Node's
   * default, dying at once. Without it, those commands run until they finish on their own.
   */
  watchSignals?: () => AbortSignal;
}

/** stdout as a stream-like object for code that writes to one (the demo, live views). */
export function stdoutOf(io: CliIo): {
  write(text: string): boolean;
  isTTY: boolean;
  columns?: number;
} {
  return {
    write: (text) => {
      io.stdout(text);
      return true;
    },
    isTTY: io.isTTY === true,
    get columns() {
      return io.columns?.();
    },
  };
}

/** Whether to colour output written to stdout. */
export function useColour(io: CliIo): boolean {
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY === true && io.env.NO_COLOR === undefined;
}

/** Writes one line to stdout. */
export function out(io: CliIo, line: string): void {
  io.stdout(`${line}\n`);
}

/** Writes one `warning: …` line to stderr. */
export function warn(io: CliIo, message: string): void {
  io.stderr(`warning: ${message}\n`);
}
