/**
 * Drives the `neuron` CLI two ways: `cli()` calls `run()` in-process with captured output, and
 * `spawnCli()` / `startDev()` run `src/cli/main.ts` as a child process, as a user would.
 * Every child is killed by `killChildren()` (for `afterAll`) or, failing that, at exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Neuron } from '@holokai/neuron-sdk';
import { run } from '../../src/cli/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let home: string | undefined;
/**
 * The `HOME` every CLI run of this test process gets (one temporary folder, removed at exit):
 * `neuron dev` keeps its state under `~/.holokai/dev-gateway`, and a test must not touch the
 * developer's own.
 */
export function testHome(): string {
  if (!home) {
    const made = mkdtempSync(join(tmpdir(), 'neuron-cli-home-'));
    home = made;
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return home;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Handed out by `io.watchSignals`; abort it to play Ctrl-C. */
  signal?: AbortSignal;
  isTTY?: boolean;
  /** What `--input -` reads; without it the run has no stdin. */
  stdin?: string;
  columns?: number;
}

/**
 * `neuron dev` logs JSON off a terminal; the tests read the text a terminal shows, unless they
 * ask for `--json`.
 */
function plainDev(argv: string[]): string[] {
  return argv[0] === 'dev' && !argv.includes('--json') ? [...argv, '--plain'] : argv;
}

/** `neuron <argv>` started in-process, its output collected as it comes. */
function start(argv: string[], options: CliOptions, signal: AbortSignal) {
  const output = { stdout: '', stderr: '' };
  const done = run(plainDev(argv), {
    stdout: (text) => {
      output.stdout += text;
    },
    stderr: (text) => {
      output.stderr += text;
    },
    env: { HOME: testHome(), ...options.env },
    isTTY: options.isTTY ?? false,
    watchSignals: () => signal,
    ...(options.stdin !== undefined && { stdin: async () => options.stdin! }),
    ...(options.columns !== undefined && { columns: () => options.columns }),
  });
  return { output, done };
}

/** Runs `neuron <argv>` in-process. */
export async function cli(argv: string[], options: CliOptions = {}): Promise<CliResult> {
  const { output, done } = start(argv, options, options.signal ?? new AbortController().signal);
  return { code: await done, ...output };
}

/**
 * `neuron <argv>` in-process, its output readable while it runs: for the commands that keep
 * going (`tasks --watch`). `stop()` plays Ctrl-C and resolves with the result.
 */
export function cliLive(argv: string[], options: Omit<CliOptions, 'signal'> = {}) {
  const stop = new AbortController();
  const { output, done } = start(argv, options, stop.signal);
  return {
    stdout: () => output.stdout,
    stop: async (): Promise<CliResult> => {
      stop.abort();
      return { code: await done, ...output };
    },
  };
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Kills every child still running and waits for them to go. */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}

export interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  exited: Promise<number | string>;
  /** Resolves once stdout matches `pattern`; rejects if the child exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `node --import tsx src/cli/main.ts <argv>` in the repository root. */
export function spawnCli(argv: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], {
    cwd: ROOT,
    env: { ...inheritedEnv(), NO_COLOR: '1', HOME: testHome(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let wake = (): void => {};
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      wake();
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          wake = () => {};
          reject(
            new Error(`no ${pattern} in ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`),
          );
        }, timeoutMs);
        wake = () => {
          const match = pattern.exec(stdout);
          if (!match && child.exitCode === null && child.signalCode === null) return;
          clearTimeout(timer);
          wake = () => {};
          if (match) resolve(match);
          else reject(new Error(`the child exited first; stdout: ${stdout}; stderr: ${stderr}`));
        };
        wake();
      }),
  };
}

/** The test's environment without the BIGBRAIN_* variables a developer may have set. */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('BIGBRAIN_')),
  );
}

export interface DevChild extends Child {
  url: string;
  token: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | string>;
}

/** `neuron dev --port 0 <args>` as a child; resolves once it printed its URL and token. */
export async function startDev(args: string[] = []): Promise<DevChild> {
  // Text lines, as a terminal shows them (off a terminal, the default is JSON).
  const child = spawnCli([
    'dev',
    '--port',
    '0',
    ...(args.includes('--json') ? [] : ['--plain']),
    ...args,
  ]);
  // `BIGBRAIN_GATEWAY_URL=…` lines, or with --json the `"BIGBRAIN_GATEWAY_URL":"…"` of a JSON line.
  await child.waitForOutput(/Ctrl-C to stop|"msg":"listening"/);
  const [, url] = await child.waitForOutput(/(?:^|")BIGBRAIN_GATEWAY_URL"?[=:]"?([^\s"]+)/m);
  const [, token] = await child.waitForOutput(/(?:^|")BIGBRAIN_TOKEN"?[=:]"?([^\s"]+)/m);
  return {
    ...child,
    url: url!,
    token: token!,
    stop: () => {
      child.process.kill('SIGTERM');
      return child.exited;
    },
  };
}

/**
 * A real neuron, started and registered, serving `examples/echo` (echoes its input after one progress update) and
 * `examples/fail` (fails terminally with code `NOPE`).
 */
export async function startNeuron(url: string, token: string, neuronId = 'cli-neuron-1') {
  const neuron = createNeuron(url, token, neuronId);
  // start() resolves once the neuron is serving; the registration completes on its stream.
  const registered = new Promise<void>((resolve) =>
    neuron.on('connection:registered', () => resolve()),
  );
  await neuron.start();
  await registered;
  return neuron;
}

/** The neuron of {@link startNeuron}, not started. */
export function createNeuron(url: string, token: string, neuronId = 'cli-neuron-1'): Neuron {
  const neuron = new Neuron({
    gatewayUrl: url,
    neuronId,
    auth: () => token,
    heartbeatIntervalMs: 200,
    initialReconnectDelayMs: 20,
    maxReconnectDelayMs: 200,
  });
  neuron.handle({ type: 'examples/echo', scope: 'any', concurrency: 4 }, async (input, ctx) => {
    ctx.progress({ percent: 50, message: 'halfway' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { echoed: input };
  });
  neuron.handle({ type: 'examples/fail', scope: 'any', concurrency: 1 }, (_input, ctx) =>
    ctx.fail('this capability always fails', { code: 'NOPE' }),
  );
  return neuron;
}
