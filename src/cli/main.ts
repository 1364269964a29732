#!/usr/bin/env node
/** The `neuron` executable: `run()` wired to the process, its streams and its signals. */
import { ExitCode } from './errors.js';
import { run } from './run.js';

let controller: AbortController | undefined;

/** The first SIGINT/SIGTERM asks the command to stop; a second one exits at once. */
function watchSignals(): AbortSignal {
  if (controller) return controller.signal;
  const ctl = new AbortController();
  controller = ctl;
  const onSignal = (): void => {
    if (ctl.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ctl.signal;
}

/** All of stdin, as UTF-8 text. */
async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  columns: () => process.stdout.columns,
  rows: () => process.stdout.rows,
  stdin: readStdin,
  watchSignals,
});
process.exitCode = code;
// Everything the commands open is closed by now; should anything linger, do not hang on it.
setTimeout(() => process.exit(code), 1_000).unref();
