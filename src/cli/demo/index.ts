export interface DemoOptions {
  /** Plain log lines even on a TTY. */
  plain?: boolean;
}

/** Runs the demo; resolves with the process exit code. */
export async function runDemo(_options: DemoOptions = {}): Promise<number> {
  return 0;
}
