import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/dev-gateway/types.js';
import { freePort } from '../support/ports.js';
import { cli, createNeuron } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `neuron dev` in-process on `port`; resolves once its dev API answers. */
async function dev(port: number) {
  const stop = new AbortController();
  const running = cli(['dev', '--port', String(port), '--token', 'restart-token'], {
    signal: stop.signal,
  });
  const url = `http://127.0.0.1:${port}`;
  await expect
    .poll(
      () =>
        fetch(`${url}/__dev__/health`).then(
          (r) => r.ok,
          () => false,
        ),
      {
        timeout: 10_000,
      },
    )
    .toBe(true);
  return {
    url,
    stop: async () => {
      stop.abort();
      return running;
    },
  };
}

describe('restarting neuron dev under a connected neuron', () => {
  it("has the new gateway's first task run at once: its lease ids are new to the neuron", async () => {
    const port = await freePort();
    const first = await dev(port);
    const neuron = createNeuron(first.url, 'restart-token', 'survivor');
    cleanups.push(() => neuron.stop({ drain: false }));
    await neuron.start();
    const inject = (url: string) =>
      cli(['inject', 'examples/echo', '--input', '1', '--wait', '--json', '--timeout', '8000'], {
        env: { BIGBRAIN_GATEWAY_URL: url },
      });
    const before = await inject(first.url);
    expect(before.code).toBe(0);
    expect((await first.stop()).code).toBe(0);

    // The neuron stays up and reconnects to the gateway that takes the port over.
    const second = await dev(port);
    cleanups.push(() => second.stop());
    const after = await inject(second.url);
    // Without fresh lease ids the neuron drops the lease as one it settled, and the task
    // only runs once its lease expires: --timeout gives up first (exit 8).
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    const leaseOf = (result: { stdout: string }) =>
      (JSON.parse(result.stdout) as { task: TaskRecord }).task.history[0]!.leaseId;
    expect(leaseOf(before)).toMatch(/^l-[0-9a-z]+-1$/);
    expect(leaseOf(after)).toMatch(/^l-[0-9a-z]+-1$/);
    expect(leaseOf(after)).not.toBe(leaseOf(before));
  }, 30_000);
});
