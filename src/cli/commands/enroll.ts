/**
 * `neuron enroll` (AUTH.md §2): enrolls this machine with Moku through the device flow and
 * writes the client credential a headless neuron mints its tokens from.
 */
import type { Command } from 'commander';
import { defaultCredentialPath, EnrollmentError, enroll } from '../../auth/index.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usage } from '../errors.js';
import { type CliIo, out } from '../io.js';

export interface EnrollCommandOptions {
  mokuUrl?: string;
  name?: string;
  capabilities?: string;
  credentialsFile?: string;
  force?: boolean;
}

export function registerEnroll(program: Command, ctx: CommandContext): void {
  program
    .command('enroll')
    .description('enroll this machine with Moku (device flow) and write its client credential')
    .requiredOption('--moku-url <url>', 'Moku, the identity provider (`neuron dev` prints its URL)')
    .requiredOption('--name <name>', 'this machine or fleet, as the approval screen shows it')
    .option('--capabilities <a,b>', 'capability types to show the approver (comma-separated)')
    .option(
      '--credentials-file <path>',
      'where to write the credential (default $HOLOKAI_CREDENTIAL_FILE or ~/.holokai/neuron-credentials.json)',
    )
    .option('--force', 'replace an existing credential file')
    .addHelpText(
      'after',
      `
Prints a URL and a code; an admin approves (locally: \`neuron approve <code>\`, or the dev
dashboard's /device page). Exit codes: 0 enrolled, 2 bad arguments or the file exists,
3 Moku unreachable, 9 denied, 10 expired, 11 protocol error, 130 interrupted.`,
    )
    .action(async (options: EnrollCommandOptions) => ctx.done(await enrollCommand(options, ctx)));
}

export async function enrollCommand(
  options: EnrollCommandOptions,
  { io }: CommandContext,
): Promise<number> {
  const capabilities = (options.capabilities ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const waiting = waitingIndicator(io);
  const signal = io.watchSignals?.();
  try {
    const result = await enroll({
      mokuUrl: options.mokuUrl ?? '',
      name: options.name ?? '',
      capabilities,
      ...(options.credentialsFile === undefined
        ? {}
        : { credentialsFile: options.credentialsFile }),
      force: options.force === true,
      ...(signal ? { signal } : {}),
      ...(io.env.NEURON_ENROLL_POLL_SCALE
        ? { pollIntervalScale: Number(io.env.NEURON_ENROLL_POLL_SCALE) }
        : {}),
      onVerification: (info) => {
        out(io, `To enroll ${options.name}, open:`);
        out(io, `  ${info.verificationUriComplete ?? info.verificationUri}`);
        out(
          io,
          `and confirm the code ${info.userCode} (it expires in ${minutes(info.expiresIn)}).`,
        );
      },
      onPoll: () => waiting.tick(),
    });
    waiting.end();
    const file = result.credentialsFile;
    out(io, `enrolled as ${result.clientId}; credential written to ${file}`);
    if (file === defaultCredentialPath()) {
      out(io, 'next: start your neuron with auth: createClientCredentialsAuth() from');
      out(io, '  @holokai/neuron-sdk/auth (it reads this file), e.g. npm run example -- echo');
    } else {
      out(
        io,
        `next: start your neuron with auth: createClientCredentialsAuth(${JSON.stringify(file)})`,
      );
      out(
        io,
        `  from @holokai/neuron-sdk/auth, e.g. BIGBRAIN_CREDENTIAL_FILE=${file} npm run example -- echo`,
      );
    }
    return ExitCode.OK;
  } catch (err) {
    waiting.end();
    if (signal?.aborted) {
      io.stderr('enrollment interrupted; nothing was written\n');
      return ExitCode.INTERRUPTED;
    }
    if (err instanceof EnrollmentError) {
      if (err.reason === 'invalid-options' || err.reason === 'exists') throw usage(err.message);
      throw new CliError(err.exitCode as ExitCode, err.message);
    }
    throw err;
  }
}

/** A spinner on a terminal; on a pipe, one line now and then so a log shows it is waiting. */
function waitingIndicator(io: CliIo): { tick(): void; end(): void } {
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let polls = 0;
  let shown = false;
  return {
    tick() {
      polls++;
      if (io.isTTY) {
        io.stdout(`\r${frames[polls % frames.length]} waiting for approval…`);
        shown = true;
      } else if (polls === 1 || polls % 12 === 0) {
        out(io, `waiting for approval (poll ${polls})`);
      }
    },
    end() {
      if (shown) io.stdout('\r\x1b[2K');
      shown = false;
    },
  };
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} s`;
}
