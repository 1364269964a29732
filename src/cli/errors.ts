/**
 * Exit codes of the `neuron` command, one per outcome a script may want to tell apart. They are
 * listed in `neuron --help` (see {@link EXIT_CODES_HELP}); keep both in step.
 */
export const ExitCode = {
  OK: 0,
  /** The gateway refused the request or answered something unexpected. */
  ERROR: 1,
  /** Bad arguments or input: invalid JSON, a malformed capability type, an unknown option. */
  USAGE: 2,
  /** No gateway answered at the URL (not running, wrong port). */
  UNREACHABLE: 3,
  /** No such task, neuron, user code or client, or no neuron serves the capability (`revoke`). */
  NOT_FOUND: 4,
  /** `inject` without `--wait`: submitted, but no neuron serves the type, so it stays pending. */
  PENDING: 5,
  /** `inject --wait`: the task failed (terminal, schema-mismatch, retries used up, lease lost). */
  FAILED: 6,
  /** `inject --wait`: the task was cancelled. */
  CANCELLED: 7,
  /** `inject --wait --timeout`: the task had not settled in time (it keeps running). */
  TIMEOUT: 8,
  /** `enroll`: the admin denied the enrollment. */
  DENIED: 9,
  /** `enroll`: the device code expired before anyone approved it. */
  EXPIRED: 10,
  /** `enroll`: Moku answered something the device flow does not allow. */
  PROTOCOL: 11,
  /** Stopped by Ctrl-C (SIGINT/SIGTERM) while waiting. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
    0  success (inject --wait: the task was acked)
    1  the gateway refused the request or answered unexpectedly
    2  bad arguments or input (invalid JSON, malformed capability type, unknown option)
    3  no gateway is running at the URL (start one with \`npx neuron dev\`)
    4  no such task, neuron, user code or client, or no neuron serves the capability
    5  inject: submitted, but no neuron serves the type; the task stays pending
    6  inject --wait: the task failed
    7  inject --wait: the task was cancelled
    8  inject --wait --timeout: the task did not settle in time (it keeps running)
    9  enroll: the enrollment was denied
   10  enroll: the code expired before it was approved (run enroll again)
   11  enroll: Moku answered outside the protocol
  130  interrupted (Ctrl-C)`;

/**
 * A failure the CLI reports as one line on stderr, with its exit code. The message says what is
 * wrong and how to fix it; no stack trace is shown.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export const usage = (message: string): CliError => new CliError(ExitCode.USAGE, message);

/** Replaces a not-found failure's message by one naming the command's own fix. */
export async function notFound<T>(pending: Promise<T>, message: string): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    if (err instanceof CliError && err.exitCode === ExitCode.NOT_FOUND) {
      throw new CliError(ExitCode.NOT_FOUND, message);
    }
    throw err;
  }
}

/** A sentence's final period, dropped where more follows it (`…; see`, ` (CODE)`). */
export function withoutFinalStop(text: string): string {
  return text.replace(/(?<!\.)\.$/, '');
}
