import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveGatewayUrl } from '../../src/cli/options.js';
import type { TaskRecord } from '../../src/dev-gateway/types.js';
import { SDK_VERSION } from '../../src/version.js';
import { freePort } from '../support/ports.js';
import {
  type CliResult,
  cli,
  type DevChild,
  killChildren,
  spawnCli,
  startDev,
  startNeuron,
} from './helpers.js';

let dev: DevChild;
let neuron: Neuron;

beforeAll(async () => {
  dev = await startDev();
  neuron = await startNeuron(dev.url, dev.token);
});

afterAll(async () => {
  await neuron?.stop({ drain: false });
  await killChildren();
});

/** `neuron <argv>` in-process against the dev child, found through BIGBRAIN_GATEWAY_URL. */
const neuronCli = (...argv: string[]) => cli(argv, { env: { BIGBRAIN_GATEWAY_URL: dev.url } });

/** Every command of `neuron`, in the order `--help` lists them. */
const COMMANDS = [
  'dev',
  'inject',
  'tasks',
  'neurons',
  'cancel',
  'revoke',
  'disconnect',
  'approve',
  'clients',
  'revoke-client',
  'demo',
];

const taskIdOf = (result: CliResult) => /^submitted +(\S+)/m.exec(result.stdout)?.[1];

/** A failure is one `error: …` line on stderr and nothing on stdout. */
function expectOneLineError(result: CliResult, code: number, message: string | RegExp) {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(result.stderr).toMatch(message);
  expect(result.stdout).toBe('');
}

describe('neuron', () => {
  it('prints the SDK version with --version', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${SDK_VERSION}\n`, stderr: '' });
  });

  it('lists the commands and the exit codes with --help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) {
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(stdout).toContain('5  inject: submitted, but no neuron serves the type');
  });

  it('has --help on every command', async () => {
    for (const command of COMMANDS) {
      const { code, stdout } = await cli([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: neuron ${command} `));
    }
  });

  it('answers an unknown command or option, or a missing argument, with one line and exit 2', async () => {
    const unknown = await cli(['injetc']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe(
      "error: unknown command 'injetc' (Did you mean inject?); see `neuron --help`\n",
    );
    const option = await cli(['inject', 'a/b', '--wiat']);
    expect(option.stderr).toBe(
      "error: unknown option '--wiat' (Did you mean --wait?); see `neuron inject --help`\n",
    );
    const missing = await cli(['cancel']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "error: missing required argument 'taskId'; see `neuron cancel --help`\n",
    );
  });
});

describe('neuron inject', () => {
  it('follows a task with --wait: lease, progress, outcome and output, exit 0', async () => {
    const result = await neuronCli('inject', 'examples/echo', '--input', '{"text":"hi"}', '--wait');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const id = taskIdOf(result)!;
    expect(result.stdout.split('\n')).toEqual([
      `submitted ${id} examples/echo`,
      `leased    ${id} to cli-neuron-1 (attempt 1/3)`,
      `progress  ${id}  50% halfway`,
      expect.stringMatching(
        new RegExp(`^acked     ${id} in \\d+ ms: \\{"echoed":\\{"text":"hi"\\}\\}$`),
      ),
      '',
    ]);
  });

  it('exits 6 when the task fails, naming its nack', async () => {
    const result = await neuronCli('inject', 'examples/fail', '--wait');
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(
      /^failed +t-\d+: terminal nack NOPE: this capability always fails$/m,
    );
  });

  it('prints { task, servedBy } with --json, with --wait the task as it settled', async () => {
    const waited = await neuronCli('inject', 'examples/echo', '--input', '7', '--wait', '--json');
    expect(waited.code).toBe(0);
    const settled = JSON.parse(waited.stdout) as { task: TaskRecord; servedBy: number };
    expect(Object.keys(settled).sort()).toEqual(['servedBy', 'task']);
    expect(settled).toMatchObject({
      task: { state: 'acked', outcome: { output: { echoed: 7 } } },
      servedBy: 1,
    });
    const submitted = await neuronCli('inject', 'examples/echo', '--input', '8', '--json');
    expect(submitted.code).toBe(0);
    const pending = JSON.parse(submitted.stdout) as { task: TaskRecord; servedBy: number };
    expect(Object.keys(pending).sort()).toEqual(['servedBy', 'task']);
    expect(pending).toMatchObject({ task: { input: 8 }, servedBy: 1 });
  });

  it.each([['--input'], ['--input-file']])('reads the input from stdin with %s -', async (flag) => {
    const result = await cli(['inject', 'examples/echo', flag, '-', '--wait', '--json'], {
      env: { BIGBRAIN_GATEWAY_URL: dev.url },
      stdin: '{"from":"stdin"}\n',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).task.outcome.output).toEqual({ echoed: { from: 'stdin' } });
  });

  it('says what stdin held when it was not JSON, or nothing', async () => {
    const run = (stdin: string) =>
      cli(['inject', 'examples/echo', '--input', '-'], {
        env: { BIGBRAIN_GATEWAY_URL: dev.url },
        stdin,
      });
    expectOneLineError(
      await run('{oops'),
      2,
      /^error: --input - \(stdin\) is not valid JSON \([^)]*\); pipe valid JSON in\n$/,
    );
    expectOneLineError(
      await run(''),
      2,
      'error: --input -: stdin was empty; pipe the JSON input in',
    );
  });

  it('says in its help that --timeout implies --wait', async () => {
    const { stdout } = await cli(['inject', '--help']);
    expect(stdout.replace(/\s+/g, ' ')).toContain(
      '--timeout <ms> implies --wait: stop waiting after this long (exit 8); the task keeps going',
    );
  });

  it('reads --input-file and passes --on-behalf-of', async () => {
    const file = join(tmpdir(), `neuron-cli-input-${process.pid}.json`);
    await writeFile(file, '{"from":"file"}');
    const result = await neuronCli(
      'inject',
      'examples/echo',
      '--input-file',
      file,
      '--on-behalf-of',
      'alice',
      '--json',
    );
    expect(result.code).toBe(0);
    const { task, servedBy } = JSON.parse(result.stdout);
    expect(servedBy).toBe(1);
    expect(task).toMatchObject({ input: { from: 'file' }, onBehalfOf: 'alice' });
  });

  it('warns that a task nobody serves stays pending, and exits 5', async () => {
    const result = await neuronCli('inject', 'examples/nobody');
    expect(result.code).toBe(5);
    const id = taskIdOf(result);
    expect(result.stdout).toBe(`submitted ${id} examples/nobody\n`);
    expect(result.stderr).toBe(
      `warning: no neuron serves examples/nobody; task ${id} stays pending (start a neuron that serves it)\n`,
    );
    const task = JSON.parse((await neuronCli('tasks', '--json')).stdout).find(
      (t: TaskRecord) => t.taskId === id,
    );
    expect(task.state).toBe('pending');
  });

  it('gives up after --timeout with exit 8, leaving the task pending', async () => {
    const result = await neuronCli('inject', 'examples/nobody', '--timeout', '100');
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(
      /^warning: no neuron serves examples\/nobody; .*waiting for one/m,
    );
    expect(result.stderr).toMatch(
      /^error: task t-\d+ did not settle within 100 ms \(state: pending, attempts: 0\); it keeps going: `neuron cancel t-\d+` to cancel it\n$/m,
    );
  });

  it('exits 7 when the task it waits for is cancelled', async () => {
    const waiting = neuronCli('inject', 'examples/nobody', '--wait');
    let id: string | undefined;
    await expect
      .poll(async () => {
        const tasks = JSON.parse((await neuronCli('tasks', '--json')).stdout) as TaskRecord[];
        id = tasks.filter((t) => t.state === 'pending').at(-1)?.taskId;
        return id;
      })
      .toBeDefined();
    const cancelled = await neuronCli('cancel', id!, '--reason', 'enough');
    expect(cancelled).toEqual({ code: 0, stdout: `cancelled ${id}\n`, stderr: '' });
    const result = await waiting;
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(new RegExp(`^cancelled +${id}: cancelled: enough$`, 'm'));
  });

  it('stops waiting on Ctrl-C with exit 130', async () => {
    const stop = new AbortController();
    const waiting = cli(['inject', 'examples/nobody', '--wait'], {
      env: { BIGBRAIN_GATEWAY_URL: dev.url },
      signal: stop.signal,
    });
    setTimeout(() => stop.abort(), 100);
    const result = await waiting;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^error: stopped waiting for task t-\d+/m);
  });

  it.each([
    [
      ['--input', '{text: hi}'],
      /^error: --input is not valid JSON \(.*\); pass JSON quoted for the shell/,
    ],
    [
      ['--input', '1', '--input-file', 'x.json'],
      /cannot be used with option '--input-file <file>'/,
    ],
    [
      ['--input-file', '/no/such/file.json'],
      /cannot read --input-file \/no\/such\/file\.json \(ENOENT\); check the path/,
    ],
    [['--timeout', '-5'], /--timeout must be an integer >= 1/],
  ])('refuses %j with one line and exit 2, submitting nothing', async (args) => {
    const before = JSON.parse((await neuronCli('tasks', '--json')).stdout).length;
    const result = await neuronCli('inject', 'examples/echo', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(JSON.parse((await neuronCli('tasks', '--json')).stdout)).toHaveLength(before);
  });

  it('names the file whose JSON is invalid', async () => {
    const file = join(tmpdir(), `neuron-cli-bad-${process.pid}.json`);
    await writeFile(file, '{"a":');
    expectOneLineError(
      await neuronCli('inject', 'examples/echo', '--input-file', file),
      2,
      `error: --input-file ${file} is not valid JSON`,
    );
  });

  it.each([
    ['echo', "capability type 'echo' needs at least two '/'-separated segments"],
    ['acme//echo', "capability type 'acme//echo' has an empty segment"],
    ['acme/echo!', 'capability type \'acme/echo!\' contains "!"'],
  ])('refuses the malformed capability type %s with exit 2', async (type, message) => {
    expectOneLineError(await neuronCli('inject', type), 2, message);
  });
});

describe('error messages', () => {
  /** `.;`, `;.`, `,,`, `. (`… but not a range's `0..65535`. */
  const DOUBLED = /(?<!\d)\.\.(?!\d)|[,;:!?]\s*[.,;:!?]|\.\s*[,;:!?(]/;

  it('never double their punctuation', async () => {
    const runs = [
      ['dev', '--port', '70000'],
      ['dev', '--retry-delay', '-1'],
      ['inject', 'a/b', '--timeout', '-5'],
      ['inject', 'a/b', '--input', '{bad'],
      ['inject', 'echo'],
      ['inject', 'a/b', '--input', '1', '--input-file', 'x'],
      ['inject', 'a/b', '--wiat'],
      ['tasks', 't-404'],
      ['cancel', 't-404'],
      ['revoke', 'examples/none'],
      ['disconnect', 'ghost'],
      ['approve', 'ABCD-EFGH'],
      ['demo', '--inspect', 'x'],
    ];
    for (const argv of runs) {
      const { code, stderr } = await neuronCli(...argv);
      expect(code, argv.join(' ')).not.toBe(0);
      expect(stderr, argv.join(' ')).toMatch(/^error: [^\n]+\n$/);
      expect(stderr, argv.join(' ')).not.toMatch(DOUBLED);
    }
  });
});

describe('talking to the gateway', () => {
  it('says how to start a gateway when none is running, with exit 3', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const argv of [['inject', 'a/b'], ['tasks'], ['cancel', 't-1'], ['neurons']]) {
      expectOneLineError(
        await cli([...argv, '--gateway', url]),
        3,
        `error: no gateway answers at ${url} (ECONNREFUSED); start one with \`npx neuron dev\``,
      );
    }
  });

  it('defaults to 127.0.0.1:7777 and reads BIGBRAIN_GATEWAY_URL', async () => {
    const io = (env: Record<string, string>) => ({ stdout() {}, stderr() {}, env });
    expect(resolveGatewayUrl(io({}), undefined)).toBe('http://127.0.0.1:7777');
    expect(resolveGatewayUrl(io({ BIGBRAIN_GATEWAY_URL: 'http://a:1/' }), undefined)).toBe(
      'http://a:1',
    );
    expect(resolveGatewayUrl(io({ BIGBRAIN_GATEWAY_URL: 'http://a:1' }), 'http://b:2')).toBe(
      'http://b:2',
    );
    const url = `http://127.0.0.1:${await freePort()}`;
    const fromEnv = await cli(['tasks'], { env: { BIGBRAIN_GATEWAY_URL: `${url}/` } });
    expect(fromEnv.stderr).toContain(`no gateway answers at ${url} `);
    const bad = await cli(['tasks'], { env: { BIGBRAIN_GATEWAY_URL: 'localhost:7777' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "error: BIGBRAIN_GATEWAY_URL must be an http(s) URL, got 'localhost:7777'; use e.g. http://127.0.0.1:7777\n",
    );
  });

  it('tells a gateway without the dev API apart', async () => {
    const gw = await createDevGateway({ devApi: false });
    try {
      expectOneLineError(
        await cli(['tasks', '--gateway', gw.url]),
        1,
        `error: ${gw.url} has no dev API (/__dev__/… answered 404); is it a \`neuron dev\` gateway?`,
      );
    } finally {
      await gw.close();
    }
  });
});

describe('neuron tasks, cancel, neurons, revoke, disconnect', () => {
  it('shows the tasks as a table', async () => {
    await neuronCli('inject', 'examples/echo', '--input', '"table"', '--wait');
    const { code, stdout } = await neuronCli('tasks');
    expect(code).toBe(0);
    const [header, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +CAPABILITY +STATE +ATTEMPTS +PROGRESS +OUTCOME$/);
    expect(rows).toContainEqual(
      expect.stringMatching(/^t-\d+ +examples\/echo +acked +1\/3 +50% halfway +ack in \d+ ms$/),
    );
    expect(rows).toContainEqual(
      expect.stringMatching(/^t-\d+ +examples\/fail +failed +1\/3 +- +terminal nack NOPE: this/),
    );
  });

  it('cancels a pending task, and refuses an unknown task id with exit 4', async () => {
    const id = taskIdOf(await neuronCli('inject', 'examples/nobody'))!;
    expect(await neuronCli('cancel', id)).toEqual({
      code: 0,
      stdout: `cancelled ${id}\n`,
      stderr: '',
    });
    expect((await neuronCli('cancel', id)).stdout).toBe(
      `${id} is already cancelled; nothing to cancel\n`,
    );
    expectOneLineError(
      await neuronCli('cancel', 't-999'),
      4,
      `error: no task t-999 on ${dev.url}; list them with \`neuron tasks\``,
    );
  });

  it('lists neurons, revokes a capability from one, and disconnects it', async () => {
    const victim = await startNeuron(dev.url, dev.token, 'victim');
    try {
      const list = await neuronCli('neurons');
      expect(list.stdout).toMatch(/^victim +serving +examples\/echo 0\/4, examples\/fail 0\/1$/m);

      expect(
        await neuronCli('revoke', 'examples/fail', '--neuron', 'victim', '--reason', 'x'),
      ).toEqual({
        code: 0,
        stdout: 'revoked examples/fail from victim\n',
        stderr: '',
      });
      expect((await neuronCli('neurons')).stdout).toMatch(
        /^victim .*examples\/fail 0\/1 revoked$/m,
      );
      expectOneLineError(
        await neuronCli('revoke', 'examples/fail', '--neuron', 'victim'),
        4,
        'error: neuron victim does not serve examples/fail (or it is revoked already)',
      );
      expectOneLineError(await neuronCli('revoke', 'nope'), 2, "capability type 'nope' needs");

      const reconnected = new Promise((resolve) => victim.on('connection:registered', resolve));
      expect(await neuronCli('disconnect', 'victim', '--reconnect-after', '10')).toEqual({
        code: 0,
        stdout: 'disconnected victim (asked to reconnect after 10 ms)\n',
        stderr: '',
      });
      await reconnected;
      expectOneLineError(
        await neuronCli('disconnect', 'ghost'),
        4,
        `error: neuron ghost is not connected to ${dev.url}; see \`neuron neurons\``,
      );
    } finally {
      await victim.stop({ drain: false });
    }
  });
});

describe('as a child process', () => {
  it('runs inject --wait against the dev gateway and a live neuron, exit 0', async () => {
    const child = spawnCli(['inject', 'examples/echo', '--input', '"child"', '--wait'], {
      BIGBRAIN_GATEWAY_URL: dev.url,
    });
    expect(await child.exited).toBe(0);
    expect(child.stdout()).toMatch(/^acked +t-\d+ in \d+ ms: \{"echoed":"child"\}$/m);
    expect(child.stderr()).toBe('');
  });

  it('reports bad input in one line, without a stack trace', async () => {
    const child = spawnCli(['inject', 'examples/echo', '--input', '{oops', '--gateway', dev.url]);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toMatch(/^error: --input is not valid JSON [^\n]+\n$/);
  });
});
