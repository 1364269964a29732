/**
 * `ws` and `@statelyai/inspect` are optional peer dependencies: only `--inspect` loads them. Run
 * the CLI as where they are not installed (a resolve hook that fails them as Node fails a
 * missing package) and check that `neuron dev` still starts, and `--inspect` says what to install.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { INSPECT_INSTALL, loadForInspect } from '../../src/cli/inspect-option.js';
import { killChildren, spawnCli } from '../cli/helpers.js';

const WITHOUT_PEERS = {
  NODE_OPTIONS: `--import ${fileURLToPath(new URL('fixtures/without-inspect-peers.mjs', import.meta.url))}`,
};

afterAll(killChildren);

describe('without the optional peers ws and @statelyai/inspect', () => {
  it('neuron dev starts, serves its dashboard, and stops on SIGTERM', async () => {
    const dev = spawnCli(['dev', '--port', '0'], WITHOUT_PEERS);
    // As text (`BIGBRAIN_GATEWAY_URL=…`) or JSON (`"BIGBRAIN_GATEWAY_URL":"…"`).
    const [, url] = await dev.waitForOutput(/(?:^|")BIGBRAIN_GATEWAY_URL"?[=:]"?([^\s"]+)/m);
    // Answered once it is waiting for a signal, so SIGTERM finds its handler.
    expect((await fetch(`${url}/`)).status).toBe(200);
    dev.process.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    expect(dev.stderr()).toBe('');
  });

  it('neuron dev --inspect fails with one line saying what to install', async () => {
    const dev = spawnCli(['dev', '--port', '0', '--inspect', '0'], WITHOUT_PEERS);
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toBe(
      `error: --inspect needs ws, an optional peer dependency of @holokai/neuron-sdk: ${INSPECT_INSTALL}\n`,
    );
  });
});

describe('loadForInspect', () => {
  const missing = (name: string) =>
    Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });

  it('turns a missing optional peer into a CliError naming the install command', async () => {
    const failed = loadForInspect(() => Promise.reject(missing('@statelyai/inspect')));
    await expect(failed).rejects.toThrow(CliError);
    await expect(failed).rejects.toThrow(
      `--inspect needs @statelyai/inspect, an optional peer dependency of @holokai/neuron-sdk: ${INSPECT_INSTALL}`,
    );
  });

  it('passes any other failure on as it is', async () => {
    const other = missing('left-pad');
    await expect(loadForInspect(() => Promise.reject(other))).rejects.toBe(other);
    await expect(loadForInspect(() => Promise.resolve(42))).resolves.toBe(42);
  });
});
