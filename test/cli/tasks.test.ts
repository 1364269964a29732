import type { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/dev-gateway/types.js';
import { cli, cliLive, createNeuron } from './helpers.js';

let gw: DevGateway;
let neuron: Neuron;

beforeAll(async () => {
  gw = await createDevGateway({ retryBackoff: { initialMs: 50 } });
  neuron = createNeuron(gw.url, 'any');
  neuron.handle({ type: 'examples/flaky', scope: 'any', concurrency: 1 }, (_input, ctx) => {
    ctx.progress({ percent: 10, message: 'trying' });
    throw new Error('upstream unavailable');
  });
  neuron.handle(
    {
      type: 'examples/strict',
      scope: 'any',
      concurrency: 1,
      inputSchema: { type: 'object', required: ['text'] },
    },
    () => 'never',
  );
  const registered = new Promise((resolve) => neuron.on('connection:registered', resolve));
  await neuron.start();
  await registered;
});
afterAll(async () => {
  await neuron?.stop({ drain: false });
  await gw?.close();
});

const run = (...argv: string[]) => cli([...argv, '--gateway', gw.url]);

describe('neuron tasks <taskId>', () => {
  it('shows every attempt: lease, neuron, times, progress and outcome', async () => {
    const task = gw.submitTask({
      capabilityType: 'examples/flaky',
      input: { n: 1 },
      maxAttempts: 2,
    });
    await gw.waitForTask(task.taskId);
    const { code, stdout, stderr } = await run('tasks', task.taskId);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`;
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${task.taskId}  examples/flaky  failed  (attempt 2 of 2)`);
    expect(lines[1]).toMatch(new RegExp(`^  submitted ${time} · settled ${time} \\(\\d+ ms\\)$`));
    expect(lines[2]).toBe('  input  {"n":1}');
    for (const attempt of [1, 2]) {
      const at = lines.findIndex((line) => line.startsWith(`  attempt ${attempt}  lease l-`));
      expect(lines[at]).toMatch(
        new RegExp(
          `^  attempt ${attempt}  lease l-\\d+  neuron cli-neuron-1  ${time} → ${time} \\(\\d+ ms\\)  nacked$`,
        ),
      );
      expect(lines[at + 1]).toMatch(new RegExp(`^    progress ${time}  10% trying$`));
      expect(lines[at + 2]).toBe('    outcome  retryable nack: upstream unavailable');
    }
    expect(lines.at(-1)).toBe('  failed: retryable nack: upstream unavailable');
  });

  it('lists schema errors under the outcome', async () => {
    const task = gw.submitTask({ capabilityType: 'examples/strict', input: { nope: 1 } });
    await gw.waitForTask(task.taskId);
    const { stdout } = await run('tasks', task.taskId);
    expect(stdout).toMatch(
      /^ {4}outcome {2}schema-mismatch \(input\) nack: .*\n {6}\/ {2}must have required property 'text'$/m,
    );
  });

  it('says when a pending task waits for a neuron, prints JSON with --json, and refuses an unknown id', async () => {
    const task = gw.submitTask({ capabilityType: 'examples/nobody', input: null });
    expect((await run('tasks', task.taskId)).stdout).toContain(
      '  waiting for a neuron that serves examples/nobody\n',
    );
    const json = JSON.parse((await run('tasks', task.taskId, '--json')).stdout) as TaskRecord;
    expect(json).toMatchObject({ taskId: task.taskId, state: 'pending' });
    const missing = await run('tasks', 't-404');
    expect(missing).toEqual({
      code: 4,
      stdout: '',
      stderr: `error: no task t-404 on ${gw.url}; list them with \`neuron tasks\`\n`,
    });
    gw.cancelTask(task.taskId);
  });

  it('follows one task with --watch until it settles, exiting like inject --wait', async () => {
    const task = gw.submitTask({ capabilityType: 'examples/flaky', input: null, maxAttempts: 2 });
    const { code, stdout } = await run('tasks', task.taskId, '--watch');
    expect(code).toBe(6);
    expect(stdout).toMatch(new RegExp(`^retrying +${task.taskId} after attempt 1: `, 'm'));
    expect(stdout).toMatch(new RegExp(`^failed +${task.taskId}: retryable nack`, 'm'));
  });
});

describe('neuron tasks --watch', () => {
  it('prints the list, then one line per change, until Ctrl-C (exit 0)', async () => {
    const watching = cliLive(['tasks', '--watch', '--gateway', gw.url]);
    // The list comes first (earlier tests left tasks), once the watcher has subscribed.
    await expect.poll(() => watching.stdout()).toMatch(/^ID +CAPABILITY +STATE/m);
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 'watched' });
    await gw.waitForTask(task.taskId);
    const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`;
    const acked = new RegExp(
      `^${time} ${task.taskId} examples/echo acked attempt 1/3 ack in \\d+ ms$`,
      'm',
    );
    await expect.poll(() => watching.stdout()).toMatch(acked);
    const { code, stdout } = await watching.stop();
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^${time} ${task.taskId} examples/echo pending attempt 0/3$`, 'm'),
    );
    expect(stdout).toMatch(
      new RegExp(`^${time} ${task.taskId} examples/echo leased attempt 1/3 cli-neuron-1`, 'm'),
    );
  });

  it('with --json prints one task record per line, the list first', async () => {
    const watching = cliLive(['tasks', '--watch', '--json', '--gateway', gw.url]);
    await expect.poll(() => watching.stdout()).toMatch(/^\{.*\}$/m);
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 'json' });
    await gw.waitForTask(task.taskId);
    await expect
      .poll(() => watching.stdout())
      .toContain(
        `"taskId":"${task.taskId}","capabilityType":"examples/echo","input":"json","maxAttempts":3,"state":"acked"`,
      );
    const { code, stdout } = await watching.stop();
    expect(code).toBe(0);
    const records = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TaskRecord);
    const mine = records.filter((r) => r.taskId === task.taskId).map((r) => r.state);
    expect(mine[0]).toBe('pending');
    expect(mine.at(-1)).toBe('acked');
    expect(records.findIndex((r) => r.taskId === task.taskId)).toBeGreaterThan(0);
  });

  it('redraws the table in place on a terminal, cut to its width', async () => {
    const watching = cliLive(['tasks', '--watch', '--gateway', gw.url], {
      isTTY: true,
      columns: 50,
    });
    await expect.poll(() => watching.stdout()).toContain('neuron tasks --watch');
    const { code, stdout } = await watching.stop();
    expect(code).toBe(0);
    const screen = stdout.split('\x1b[H\x1b[2J').at(-1)!;
    const visible = screen.replace(new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`, 'g'), '');
    expect(visible.split('\n').every((line) => line.length <= 49)).toBe(true);
    expect(visible).toMatch(/^ID +CAPABILITY +STATE/m);
  });
});
