import { Neuron } from '@holokai/neuron-sdk';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { echoCapability, echoHandler } from '../../examples/echo/capability.js';
import { EnvError, parseEnv } from '../../examples/shared/env.js';
import { cli, killChildren, startDev } from '../cli/helpers.js';
import { get } from './support.js';

afterEach(killChildren);

/** The lease states the relay passed on, in order. */
function leaseStates(events: readonly StatelyInspectionEvent[]): string[] {
  const leases = new Set(
    events
      .filter((e) => e.type === '@xstate.actor' && JSON.parse(e.definition ?? '{}').id === 'lease')
      .map((e) => e.sessionId),
  );
  return events.flatMap((e) =>
    e.type === '@xstate.snapshot' && leases.has(e.sessionId)
      ? [JSON.stringify((e.snapshot as { value?: unknown }).value)]
      : [],
  );
}

describe('neuron dev --inspect', () => {
  it('runs a relay on 127.0.0.1, says how to use it, and an example neuron sends its leases there', async () => {
    const dev = await startDev(['--inspect', '0']);
    // The relay's lines come after the gateway's banner: wait for them too.
    const [, wsUrl] = await dev.waitForOutput(
      /createWebSocketInspector\(\{ url: '(ws:\/\/127\.0\.0\.1:\d+)' \}\)\.inspect \}\)\n/,
    );
    const stdout = dev.stdout();
    const page = wsUrl!.replace('ws:', 'http:');
    expect(stdout).toContain(
      `Stately inspector relay on ${wsUrl} (127.0.0.1 only; nothing is opened for you):`,
    );
    expect(stdout).toContain(`  open ${page} in a browser`);
    expect(stdout).toContain(`  neurons send their actors with BIGBRAIN_INSPECT_URL=${wsUrl} `);
    expect(stdout).toContain(`inspect: createWebSocketInspector({ url: '${wsUrl}' }).inspect })`);
    expect(stdout).toContain(`Dashboard: ${dev.url}/?inspect=${wsUrl}\n`);
    expect((await get(page)).body).toContain(`new WebSocket("${wsUrl}")`);

    const dashboard = await get(`${dev.url}/`);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toContain('data-machine="lease"');

    const received: StatelyInspectionEvent[] = [];
    createWebSocketReceiver({ server: wsUrl! }).subscribe((event) => received.push(event));
    const env = parseEnv('echo', {
      BIGBRAIN_GATEWAY_URL: dev.url,
      BIGBRAIN_TOKEN: dev.token,
      BIGBRAIN_NEURON_ID: 'inspected-echo',
      BIGBRAIN_INSPECT_URL: wsUrl,
    });
    expect(env.inspect).toBeDefined();
    const neuron = new Neuron(env);
    neuron.handle(echoCapability, echoHandler);
    try {
      await neuron.start();
      const injected = await cli([
        'inject',
        'examples/echo',
        '--input',
        '{"text":"hi"}',
        '--wait',
        '--gateway',
        dev.url,
      ]);
      expect(injected.code).toBe(0);
      await vi.waitFor(() => expect(leaseStates(received)).toContain('"settled"'), {
        timeout: 5_000,
      });
    } finally {
      await neuron.stop();
    }
    expect(leaseStates(received)).toEqual(
      expect.arrayContaining(['"queued"', '{"executing":"running"}', '"settled"']),
    );

    expect(await dev.stop()).toBe(0);
    await expect(get(page)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('names the dashboard and the relay in its JSON listening line', async () => {
    const stop = new AbortController();
    stop.abort();
    const { code, stdout } = await cli(['dev', '--port', '0', '--json', '--inspect', '0'], {
      signal: stop.signal,
    });
    expect(code).toBe(0);
    const listening = JSON.parse(stdout.split('\n')[0]!);
    expect(listening.inspector.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(listening.inspector.page).toBe(listening.inspector.url.replace('ws:', 'http:'));
    expect(listening.dashboard).toBe(`${listening.url}/?inspect=${listening.inspector.url}`);
  });

  it('serves the dashboard without --inspect too, and says where', async () => {
    const stop = new AbortController();
    stop.abort();
    const { stdout } = await cli(['dev', '--port', '0'], { signal: stop.signal });
    expect(stdout).toMatch(/^Dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(stdout).not.toContain('inspector');
  });

  it('refuses a port that is not one', async () => {
    const { code, stderr } = await cli(['dev', '--inspect', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--inspect must be an integer in 0\.\.65535/);
  });
});

describe('the examples and BIGBRAIN_INSPECT_URL', () => {
  it('refuses a URL that is not ws://', () => {
    const vars = { BIGBRAIN_GATEWAY_URL: 'http://127.0.0.1:7777', BIGBRAIN_TOKEN: 't' };
    expect(() =>
      parseEnv('echo', { ...vars, BIGBRAIN_INSPECT_URL: 'http://127.0.0.1:7778' }),
    ).toThrow(
      new EnvError(
        'BIGBRAIN_INSPECT_URL must be a ws:// URL (`npx neuron dev --inspect` prints one), got "http://127.0.0.1:7778"',
      ),
    );
    expect(parseEnv('echo', vars).inspect).toBeUndefined();
  });
});

describe('neuron demo --inspect', () => {
  it('sends the demo neuron to a relay and says how to open it', async () => {
    const stop = new AbortController();
    stop.abort();
    const { code, stdout } = await cli(['demo', '--plain', '--inspect', '0'], {
      signal: stop.signal,
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Stately inspector relay on ws:\/\/127\.0\.0\.1:\d+ \(127\.0\.0\.1 only/m,
    );
    expect(stdout).toContain('every task ended as expected');
  }, 30_000);
});
