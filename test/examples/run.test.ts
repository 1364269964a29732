/**
 * Each example as a user runs it: `node --import tsx examples/run.ts <name>` in a child process,
 * against an in-process reference gateway.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterAll, describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { startServer } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'child-token-3a9e';
const START_TIMEOUT = { timeoutMs: 10_000 };

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The test's `onTestFinished`: the tests run concurrently, so each cleans up its own. */
type Cleanup = (fn: OnTestFinishedHandler) => void;

const dir = mkdtempSync(join(tmpdir(), 'neuron-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runExample(cleanup: Cleanup, args: string[], env: Record<string, string> = {}): Child {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('BIGBRAIN_') && name !== 'WEB_SEARCH_URL',
    ),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/run.ts', ...args], {
    cwd: ROOT,
    // No enrolled credential of the developer's own may stand in for the test's token.
    env: {
      ...inherited,
      HOLOKAI_CREDENTIAL_FILE: join(tmpdir(), 'no-such-credential.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  cleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { process: child, output: () => output, exited };
}

/** A gateway, and an example registered with it; `env` names the token (`BIGBRAIN_TOKEN` by default). */
async function startExample(
  cleanup: Cleanup,
  name: string,
  env: Record<string, string> = { BIGBRAIN_TOKEN: TOKEN },
) {
  const gw = await createDevGateway({ token: TOKEN });
  cleanup(() => gw.close());
  const neuronId = `${name}-child`;
  const registered = gw.waitFor('registered', (e) => e.neuronId === neuronId, START_TIMEOUT);
  const child = runExample(cleanup, [name], {
    BIGBRAIN_GATEWAY_URL: gw.url,
    BIGBRAIN_NEURON_ID: neuronId,
    ...env,
  });
  try {
    await registered;
  } catch (err) {
    throw new Error(`${name} did not register: ${child.output()}`, { cause: err });
  }
  return { gw, child };
}

/** progress-cancel as a process, with a 400 ms task under way (its first progress reported). */
async function midTask(cleanup: Cleanup) {
  const { gw, child } = await startExample(cleanup, 'progress-cancel');
  const task = gw.submitTask({
    capabilityType: 'examples/progress-cancel',
    input: { items: ['a', 'b', 'c', 'd'], delayMs: 100 },
  });
  await gw.waitFor('progress', (e) => e.taskId === task.taskId);
  return { gw, child, task };
}

async function stopWithSigterm(child: Child): Promise<void> {
  child.process.kill('SIGTERM');
  expect(await child.exited, child.output()).toBe(0);
  expect(child.output()).toContain('stopped');
}

describe.concurrent('examples as processes (node --import tsx examples/run.ts <name>)', () => {
  it('echo: acks a task, then stops on SIGTERM and exits 0 (token from BIGBRAIN_TOKEN_FILE)', async ({
    onTestFinished,
  }) => {
    const tokenFile = join(dir, 'echo-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const { gw, child } = await startExample(onTestFinished, 'echo', {
      BIGBRAIN_TOKEN_FILE: tokenFile,
    });
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: { text: 'hi' } });
    const done = await gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({ type: 'ack', output: { echoed: { text: 'hi' } } });
    await stopWithSigterm(child);
  });

  it('progress-cancel: SIGTERM mid-task lets the task finish (drain), then exits 0', async ({
    onTestFinished,
  }) => {
    const { gw, child, task } = await midTask(onTestFinished);
    await stopWithSigterm(child);
    expect(gw.task(task.taskId)).toMatchObject({ state: 'acked' });
  });

  it('progress-cancel: one Ctrl-C delivered twice (npm and tsx relay it) still drains', async ({
    onTestFinished,
  }) => {
    const { gw, child, task } = await midTask(onTestFinished);
    child.process.kill('SIGINT');
    setTimeout(() => child.process.kill('SIGINT'), 30);
    expect(await child.exited, child.output()).toBe(0);
    expect(gw.task(task.taskId)).toMatchObject({ state: 'acked' });
  });

  it('http-fetch: fetches a local URL, then exits 0 on SIGTERM', async ({ onTestFinished }) => {
    const server = await startServer((_req, res) => res.end('from the fixture server'));
    onTestFinished(() => server.close());
    const { gw, child } = await startExample(onTestFinished, 'http-fetch');
    const task = gw.submitTask({
      capabilityType: 'examples/http-fetch',
      input: { url: server.url },
    });
    expect((await gw.waitForTask(task.taskId)).outcome).toMatchObject({
      type: 'ack',
      output: { status: 200, body: 'from the fixture server' },
    });
    await stopWithSigterm(child);
  });

  it('web-search: searches the page WEB_SEARCH_URL points at, then exits 0 on SIGTERM', async ({
    onTestFinished,
  }) => {
    const page = readFileSync(new URL('./fixtures/duckduckgo-results.html', import.meta.url));
    const server = await startServer((_req, res) => res.end(page));
    onTestFinished(() => server.close());
    const { gw, child } = await startExample(onTestFinished, 'web-search', {
      BIGBRAIN_TOKEN: TOKEN,
      WEB_SEARCH_URL: `${server.url}/html/`,
    });
    const task = gw.submitTask({
      capabilityType: 'examples/web-search',
      input: { query: 'xstate' },
    });
    const done = await gw.waitForTask(task.taskId);
    expect(done.outcome).toMatchObject({ type: 'ack', output: { query: 'xstate' } });
    expect((done.outcome as { output: { results: unknown[] } }).output.results).toHaveLength(4);
    await stopWithSigterm(child);
  });

  it('exits 1 with a one-line error when BIGBRAIN_GATEWAY_URL is missing', async ({
    onTestFinished,
  }) => {
    const child = runExample(onTestFinished, ['echo'], { BIGBRAIN_TOKEN: TOKEN });
    expect(await child.exited).toBe(1);
    expect(child.output()).toBe(
      'echo: BIGBRAIN_GATEWAY_URL is not set: set it to the gateway URL (`npx neuron dev` prints one)\n',
    );
  });

  it('exits 1 with a one-line error when no token is set', async ({ onTestFinished }) => {
    const child = runExample(onTestFinished, ['http-fetch'], {
      BIGBRAIN_GATEWAY_URL: 'http://127.0.0.1:7777',
    });
    expect(await child.exited).toBe(1);
    expect(child.output()).toMatch(/^http-fetch: no credential: enroll this machine [^\n]*\n$/);
  });

  it('exits 2 listing the examples for an unknown name', async ({ onTestFinished }) => {
    const child = runExample(onTestFinished, ['nope']);
    expect(await child.exited).toBe(2);
    expect(child.output()).toBe(
      'unknown example "nope": run one of echo, http-fetch, progress-cancel, web-search (npm run example -- echo)\n',
    );
  });
});
