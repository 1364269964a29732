import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import { createDevGateway, type DevGateway } from '../../src/dev-gateway/index.js';
import { connect, echo, requestJson, type SseStream } from '../dev-gateway/sse-client.js';
import { authorizeDevice, enroll, mint, pollDeviceCode, requestToken } from '../identity/oauth.js';
import { cli, testHome } from './helpers.js';

let gw: DevGateway;
const streams: SseStream[] = [];
beforeAll(async () => {
  gw = await createDevGateway({ identity: true });
});
afterAll(() => gw?.close());
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

const neuronCli = (...argv: string[]) => cli(argv, { env: { BIGBRAIN_GATEWAY_URL: gw.url } });

describe('neuron approve', () => {
  it('approves a waiting enrollment by its user code, in any case', async () => {
    const device = await authorizeDevice(gw, {
      name: 'warehouse',
      capabilities: ['org/acme/erp.read'],
    });
    const result = await neuronCli('approve', device.user_code.toLowerCase());
    expect(result).toEqual({
      code: 0,
      stdout: `approved ${device.user_code} (warehouse); requested org/acme/erp.read\n`,
      stderr: '',
    });
    expect((await pollDeviceCode(gw, device.device_code)).status).toBe(200);
  });

  it('denies it with --deny', async () => {
    const device = await authorizeDevice(gw);
    const result = await neuronCli('approve', device.user_code, '--deny');
    expect(result).toMatchObject({ code: 0, stdout: `denied ${device.user_code}\n` });
    expect((await pollDeviceCode(gw, device.device_code)).json).toEqual({ error: 'access_denied' });
  });

  it('exits 4 for an unknown user code and 1 for one already decided', async () => {
    const unknown = await neuronCli('approve', 'BBBB-CCCC');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toBe(
      `error: no enrollment waits with user code BBBB-CCCC at ${gw.url} (unknown, or expired); check the code \`neuron enroll\` printed\n`,
    );
    const device = await authorizeDevice(gw);
    await neuronCli('approve', device.user_code);
    const twice = await neuronCli('approve', device.user_code, '--deny');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe(
      `error: user code ${device.user_code} is approved already (DEVICE_CODE_DECIDED)\n`,
    );
  });

  it('exits 2 for something that is no user code', async () => {
    const result = await neuronCli('approve', '1234');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: '1234' is not a user code/);
  });

  it('says so when the gateway has no identity provider', async () => {
    const plain = await createDevGateway();
    try {
      const result = await cli(['approve', 'BBBB-CCCC', '--gateway', plain.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^error: this gateway runs without an identity provider; .* \(IDENTITY_DISABLED\)\n$/,
      );
    } finally {
      await plain.close();
    }
  });
});

describe('neuron clients and neuron revoke-client', () => {
  it('lists enrolled clients, revokes one (closing its streams), and lists it revoked', async () => {
    const credential = await enroll(gw, { name: 'lister', capabilities: ['examples/echo'] });
    const { stream } = await connect(gw.url, 'cli-1', [echo], {
      token: await mint(gw, credential),
    });
    streams.push(stream);

    const listed = await neuronCli('clients');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^CLIENT +NAME +STATE +ORG +CONNECTED +CAPABILITIES \(requested\)$/m,
    );
    expect(listed.stdout).toMatch(
      new RegExp(`^${credential.clientId} +lister +enrolled +- +cli-1 +examples/echo$`, 'm'),
    );

    const revoked = await neuronCli('revoke-client', credential.clientId, '--reason', 'lost');
    expect(revoked).toEqual({
      code: 0,
      stdout: `revoked ${credential.clientId}; closed the streams of cli-1\n`,
      stderr: '',
    });
    expect((await stream.next('disconnect')).frame.reason).toMatch(/revoked: lost; re-enroll$/);
    expect((await requestToken(gw, credential)).json).toMatchObject({ error: 'invalid_client' });

    const json = JSON.parse((await neuronCli('clients', '--json')).stdout);
    expect(
      json.find((c: { clientId: string }) => c.clientId === credential.clientId),
    ).toMatchObject({
      revokedAt: expect.any(Number),
      revokeReason: 'lost',
    });
    const again = await neuronCli('revoke-client', credential.clientId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/was revoked already .* \(CLIENT_REVOKED\)/);
  });

  it('exits 4 for an unknown client', async () => {
    const result = await neuronCli('revoke-client', 'nrn_NOPE');
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      `error: no client nrn_NOPE is enrolled at ${gw.url}; see \`neuron clients\`\n`,
    );
  });

  it('says when no client is enrolled', async () => {
    const empty = await createDevGateway({ identity: true });
    try {
      const result = await cli(['clients', '--gateway', empty.url]);
      expect(result.stdout).toMatch(/^no clients enrolled; enroll a neuron with `neuron enroll/);
    } finally {
      await empty.close();
    }
  });
});

/** `neuron dev` in-process, its stdout readable while it runs; `stop()` plays Ctrl-C. */
async function dev(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const stop = new AbortController();
  const exited = run(['dev', '--plain', ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { HOME: testHome(), ...env },
    watchSignals: () => stop.signal,
  });
  const deadline = Date.now() + 5_000;
  while (!/Ctrl-C to stop|"msg":"listening"/.test(stdout)) {
    if (Date.now() > deadline) throw new Error(`neuron dev did not start: ${stdout} ${stderr}`);
    const early = await Promise.race([exited, new Promise((r) => setTimeout(r, 5, 'wait'))]);
    if (early !== 'wait') throw new Error(`neuron dev exited ${String(early)}: ${stderr}`);
  }
  // `BIGBRAIN_GATEWAY_URL=…` lines, or with --json the `"BIGBRAIN_GATEWAY_URL":"…"` of a JSON line.
  const url = /(?:^|")BIGBRAIN_GATEWAY_URL"?[=:]"?([^\s"]+)/m.exec(stdout)?.[1] ?? '';
  const token = /(?:^|")BIGBRAIN_TOKEN"?[=:]"?([^\s"]+)/m.exec(stdout)?.[1] ?? '';
  return {
    url,
    token,
    stdout: () => stdout,
    stop: async () => {
      stop.abort();
      return exited;
    },
  };
}

describe('neuron dev and identity', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });
  async function folder(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'neuron-dev-state-'));
    folders.push(dir);
    return join(dir, 'state');
  }

  it('prints the --moku-url to enroll with, which is the metadata issuer', async () => {
    const stateDir = await folder();
    const running = await dev(['--port', '0', '--state-dir', stateDir]);
    try {
      const mokuUrl = `${running.url}/moku`;
      expect(running.stdout()).toContain(`Identity provider (--moku-url): ${mokuUrl}\n`);
      expect(running.stdout()).toContain(
        `  enroll a neuron: npx neuron enroll --moku-url ${mokuUrl} --name <name>\n`,
      );
      expect(running.stdout()).toContain(`or ${running.url}/device\n`);
      expect(running.stdout()).toContain(
        `State: ${stateDir} (signing key, enrolled neurons, dev token)\n`,
      );
      const metadata = await requestJson(
        'GET',
        `${mokuUrl}/.well-known/oauth-authorization-server`,
        '',
      );
      expect(metadata.json).toMatchObject({ issuer: mokuUrl });
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });

  it('keeps the dev token and the enrolled neurons across a restart with the same --state-dir', async () => {
    const stateDir = await folder();
    const first = await dev(['--port', '0', '--state-dir', stateDir]);
    const port = new URL(first.url).port;
    const device = await authorizeDevice(gwAt(first.url), { name: 'restart-me' });
    const approved = await cli(['approve', device.user_code, '--gateway', first.url]);
    expect(approved.code).toBe(0);
    const iat = (await pollDeviceCode(gwAt(first.url), device.device_code)).json as {
      access_token: string;
    };
    const registered = await requestJson('POST', `${first.url}/moku/register`, '{}', {
      Authorization: `Bearer ${iat.access_token}`,
      'Content-Type': 'application/json',
    });
    const { client_id, client_secret } = registered.json as Record<string, string>;
    await first.stop();
    expect(first.stdout()).toMatch(
      /INFO {2}enrollment requested user_code=\S+ name=restart-me approve="neuron approve \S+"$/m,
    );
    expect(first.stdout()).toMatch(/INFO {2}client enrolled client=nrn_\w+ name=restart-me$/m);
    expect(await mode(stateDir)).toBe(0o700);
    expect(await mode(join(stateDir, 'dev-token.json'))).toBe(0o600);

    const second = await dev(['--port', port, '--state-dir', stateDir]);
    try {
      expect(second.token).toBe(first.token);
      const credential = { clientId: client_id!, clientSecret: client_secret! };
      const token = await mint(gwAt(second.url), credential);
      const { stream } = await connect(second.url, 'survivor', [echo], { token });
      streams.push(stream);
      const { stream: static_ } = await connect(second.url, 'quick', [echo], {
        token: second.token,
      });
      streams.push(static_);
    } finally {
      await second.stop();
    }
  });

  it('keeps its state under $HOME/.holokai/dev-gateway by default', async () => {
    const home = await folder();
    const running = await dev(['--port', '0'], { HOME: home });
    await running.stop();
    const stateDir = join(home, '.holokai', 'dev-gateway');
    expect(running.stdout()).toContain(`State: ${stateDir} `);
    expect(JSON.parse(await readFile(join(stateDir, 'dev-token.json'), 'utf8'))).toEqual({
      token: running.token,
    });
  });

  it('keeps nothing with --ephemeral: a new token each time', async () => {
    const home = await folder();
    const first = await dev(['--port', '0', '--ephemeral'], { HOME: home });
    await first.stop();
    const second = await dev(['--port', '0', '--ephemeral'], { HOME: home });
    await second.stop();
    expect(first.stdout()).toContain('State: none (--ephemeral)');
    expect(second.token).not.toBe(first.token);
    await expect(stat(join(home, '.holokai'))).rejects.toThrow(/ENOENT/);
  });

  it('mints org_id for neurons enrolled under --org-id, and says so in --json', async () => {
    const running = await dev(['--port', '0', '--ephemeral', '--org-id', 'acme', '--json']);
    try {
      const listening = JSON.parse(running.stdout().split('\n')[0]!);
      expect(listening).toMatchObject({
        msg: 'listening',
        mokuUrl: `${running.url}/moku`,
        stateDir: null,
      });
      const info = await requestJson('GET', `${running.url}/__dev__/identity`, '');
      expect(info.json).toMatchObject({ orgId: 'acme' });
    } finally {
      await running.stop();
    }
  });

  it.each([
    [['--ephemeral', '--state-dir', '/tmp/x'], /--state-dir and --ephemeral contradict each other/],
    [['--state-dir', ''], /--state-dir must not be empty/],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await cli(['dev', '--port', '0', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** Just enough of a DevGateway for the OAuth helpers, which need its identity's issuer. */
function gwAt(url: string): DevGateway {
  return { url, identity: { issuer: `${url}/moku` } } as unknown as DevGateway;
}
