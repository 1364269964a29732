import { afterEach, describe, expect, it } from 'vitest';
import {
  cli,
  cliLive,
  createNeuron,
  killChildren,
  spawnCli,
  startDev,
  startNeuron,
} from './helpers.js';

afterEach(killChildren);

describe('neuron dev (a child process)', () => {
  it('prints its URL and token, logs a neuron at work, and stops with exit 0 on SIGTERM', async () => {
    const dev = await startDev();
    expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dev.url).not.toMatch(/:0$/);
    expect(dev.token).toMatch(/^dev-[\w-]{16}$/);
    expect(dev.stdout()).toContain(`Dev API (no auth): ${dev.url}/__dev__/`);

    const neuron = await startNeuron(dev.url, dev.token);
    try {
      expect(
        (await cli(['inject', 'examples/echo', '--input', '"hi"', '--wait', '--gateway', dev.url]))
          .code,
      ).toBe(0);
      await dev.waitForOutput(/INFO {2}acked task=t-1/);
    } finally {
      await neuron.stop();
    }
    const log = dev.stdout();
    expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}connected neuron=cli-neuron-1$/m);
    expect(log).toMatch(
      /INFO {2}registered neuron=cli-neuron-1 session=s-1 capabilities=examples\/echo\(any,x4\),examples\/fail\(any,x1\)$/m,
    );
    expect(log).toMatch(/INFO {2}submitted task=t-1 type=examples\/echo input=hi$/m);
    expect(log).toMatch(
      /INFO {2}leased task=t-1 type=examples\/echo neuron=cli-neuron-1 attempt=1\/3/m,
    );
    expect(log).toMatch(/INFO {2}progress task=t-1 percent=50% message=halfway$/m);
    expect(log).toMatch(
      /INFO {2}acked task=t-1 neuron=cli-neuron-1 duration=\d+ms output=\{"echoed":"hi"\}$/m,
    );
    expect(log).not.toContain('\u001b[');

    expect(await dev.stop()).toBe(0);
    expect(dev.stdout()).toMatch(/INFO {2}stopped$/m);
    expect(dev.stderr()).toBe('');
  });

  it('logs JSON lines with --json, and with --no-auth accepts any token', async () => {
    const dev = await startDev(['--json', '--no-auth']);
    const first = JSON.parse(dev.stdout().split('\n')[0]!);
    expect(first).toMatchObject({
      level: 30,
      msg: 'listening',
      url: dev.url,
      auth: 'none',
      env: { BIGBRAIN_GATEWAY_URL: dev.url },
    });
    expect(first.time).toBeTypeOf('number');
    const neuron = await startNeuron(dev.url, 'whatever-token');
    await neuron.stop();
    await dev.waitForOutput(/"msg":"disconnected"/);
    const lines = dev
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'registered', neuron: 'cli-neuron-1' }),
    );
    expect(await dev.stop()).toBe(0);
  });

  it('logs JSON lines by default when stdout is not a terminal (a log collector)', async () => {
    const dev = spawnCli(['dev', '--port', '0', '--ephemeral']);
    const [line] = await dev.waitForOutput(/^\{.*"msg":"listening".*\}$/m);
    expect(JSON.parse(line)).toMatchObject({ msg: 'listening', env: expect.any(Object) });
  });

  it('warns when a neuron is refused for its token', async () => {
    const dev = await startDev(['--token', 'right']);
    expect(dev.token).toBe('right');
    const neuron = createNeuron(dev.url, 'wrong');
    const starting = neuron.start().catch(() => {});
    try {
      await dev.waitForOutput(/WARN {2}refused request .*status=401/);
    } finally {
      await neuron.stop({ drain: false });
      await starting;
    }
    expect(dev.stdout()).toContain(
      'hint="the neuron sent no token or a wrong one (BIGBRAIN_TOKEN)"',
    );
    expect(await dev.stop()).toBe(0);
  });
});

describe('neuron dev (in-process)', () => {
  it('stops when the signal aborts', async () => {
    const stop = new AbortController();
    const running = cli(['dev', '--port', '0', '--token', 't'], { signal: stop.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    const { code, stdout } = await running;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^BIGBRAIN_TOKEN=t$/m);
  });

  it('colours its log lines on a terminal', async () => {
    const stop = new AbortController();
    stop.abort();
    const { stdout } = await cli(['dev', '--port', '0'], { signal: stop.signal, isTTY: true });
    expect(stdout).toContain('\u001b[32mINFO');
  });

  it.each([
    [['--no-auth', '--token', 'x'], /--token and --no-auth contradict each other/],
    [
      ['--no-auth', '--host', '0.0.0.0'],
      /--no-auth is refused on a non-loopback host \(0\.0\.0\.0\)/,
    ],
    [
      ['--port', '70000'],
      /option '--port <port>' argument '70000' is invalid\. --port must be an integer in 0\.\.65535/,
    ],
    [['--port', 'abc'], /--port must be an integer/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const { code, stderr } = await cli(['dev', ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says so when the port is taken', async () => {
    const dev = await startDev();
    const port = new URL(dev.url).port;
    const { code, stderr } = await cli(['dev', '--port', port]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: port ${port} on 127.0.0.1 is in use (another \`neuron dev\`?); pick another with --port, or --port 0 for a free one\n`,
    );
  });

  it('warns that a non-loopback host has no TLS', async () => {
    const stop = new AbortController();
    stop.abort();
    const { code, stderr } = await cli(['dev', '--port', '0', '--host', '0.0.0.0'], {
      signal: stop.signal,
    });
    expect(code).toBe(0);
    expect(stderr).toMatch(/^warning: listening on 0\.0\.0\.0: .* \(no TLS\)\n$/);
  });
});

describe('neuron dev --inspect', () => {
  it('points at the dashboard for the live actors, and keeps the Stately page for those online', async () => {
    const dev = cliLive(['dev', '--port', '0', '--inspect', '0', '--token', 't']);
    await expect.poll(() => dev.stdout()).toMatch(/Ctrl-C to stop/);
    await expect.poll(() => dev.stdout()).toMatch(/new Neuron/);
    const out = dev.stdout();
    const [, gateway, relay] =
      /^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?inspect=(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(out)!;
    expect(out).toContain(`  live actors, offline too: ${gateway}/?inspect=${relay}\n`);
    const page = relay!.replace('ws:', 'http:');
    expect(out).toContain(
      `  open ${page} in a browser for the Stately inspector UI (from stately.ai: online only)\n`,
    );
    // The relay's page says where to look when stately.ai cannot load.
    const html = await (await fetch(page)).text();
    expect(html).toContain('src="https://stately.ai/inspect"');
    expect(html).toContain(`<a href="${gateway}/?inspect=${relay}">neuron dev dashboard</a>`);
    expect((await dev.stop()).code).toBe(0);
  });
});

describe('neuron dev --retry-delay', () => {
  it('spaces the deliveries of a task nacked retryable, and logs the wait', async () => {
    const dev = cliLive(['dev', '--port', '0', '--token', 't', '--retry-delay', '150']);
    await expect.poll(() => dev.stdout()).toMatch(/Ctrl-C to stop/);
    const url = /^BIGBRAIN_GATEWAY_URL=(\S+)$/m.exec(dev.stdout())![1]!;
    const neuron = createNeuron(url, 't', 'flaky-neuron');
    const leasedAt: number[] = [];
    neuron.handle({ type: 'examples/flaky', scope: 'any', concurrency: 1 }, () => {
      leasedAt.push(Date.now());
      throw new Error('upstream unavailable');
    });
    await neuron.start();
    try {
      const result = await cli(['inject', 'examples/flaky', '--wait', '--gateway', url]);
      expect(result.code).toBe(6);
      expect(result.stdout).toMatch(
        /^retrying +t-1 after attempt 1: retryable nack: upstream unavailable; next attempt in \d+ ms$/m,
      );
    } finally {
      await neuron.stop({ drain: false });
    }
    expect(leasedAt).toHaveLength(3);
    // 150 ms, then 300 ms (doubled), less the few ms the nack took to reach the gateway.
    expect(leasedAt[1]! - leasedAt[0]!).toBeGreaterThanOrEqual(140);
    expect(leasedAt[2]! - leasedAt[1]!).toBeGreaterThanOrEqual(290);
    const { stdout } = await dev.stop();
    expect(stdout).toMatch(
      /WARN {2}requeued task=t-1 attempts=1 reason="upstream unavailable" retry="in \d+ms"$/m,
    );
  });
});
