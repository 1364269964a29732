import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { echoCapability, echoHandler } from '../../examples/echo/capability.js';
import { EnvError, parseEnv as parseExampleEnv } from '../../examples/shared/env.js';
import { createHarness, disposeHarnesses } from '../e2e/harness.js';
import { enrollAt } from './enrolled.js';

let dir: string;
let tokenFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neuron-env-'));
  tokenFile = join(dir, 'token');
});
afterEach(async () => {
  await disposeHarnesses();
  rmSync(dir, { recursive: true, force: true });
});

const URL_VAR = { BIGBRAIN_GATEWAY_URL: 'http://127.0.0.1:7777' };

/** No enrolled credential of the developer's own may stand in for the test's token. */
const parseEnv = (
  example: string,
  vars: NodeJS.ProcessEnv,
  credential = join(dir, 'absent.json'),
) => parseExampleEnv(example, vars, credential);

function envError(vars: NodeJS.ProcessEnv): string {
  try {
    parseEnv('echo', vars);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as Error).message;
  }
  throw new Error('parseEnv did not throw');
}

describe('examples/shared/env', () => {
  it('reads the URL, the neuron id and the token', async () => {
    const env = parseEnv('echo', {
      ...URL_VAR,
      BIGBRAIN_NEURON_ID: 'echo-7',
      BIGBRAIN_TOKEN: ' tok \n',
    });
    expect(env).toMatchObject({ gatewayUrl: 'http://127.0.0.1:7777', neuronId: 'echo-7' });
    expect(await env.auth()).toBe('tok');
  });

  it('defaults the neuron id to <example>-<hostname>', () => {
    const env = parseEnv('web-search', { ...URL_VAR, BIGBRAIN_TOKEN: 't' });
    expect(env.neuronId).toBe(`web-search-${hostname()}`);
  });

  it('says on one line which variable is missing or wrong', () => {
    const messages = [
      envError({ BIGBRAIN_TOKEN: 't' }),
      envError({ BIGBRAIN_GATEWAY_URL: 'localhost 7777', BIGBRAIN_TOKEN: 't' }),
      envError({ ...URL_VAR }),
      envError({ ...URL_VAR, BIGBRAIN_TOKEN: 't', BIGBRAIN_TOKEN_FILE: tokenFile }),
      envError({ ...URL_VAR, BIGBRAIN_TOKEN_FILE: join(dir, 'absent') }),
    ];
    expect(messages).toEqual([
      'BIGBRAIN_GATEWAY_URL is not set: set it to the gateway URL (`npx neuron dev` prints one)',
      'BIGBRAIN_GATEWAY_URL is not a URL: "localhost 7777"',
      expect.stringMatching(
        /^no credential: enroll this machine \(`npx neuron enroll .*or set BIGBRAIN_TOKEN/,
      ),
      'set BIGBRAIN_TOKEN or BIGBRAIN_TOKEN_FILE, not both',
      expect.stringMatching(/^BIGBRAIN_TOKEN_FILE cannot be read: ENOENT/),
    ]);
    for (const message of messages) expect(message).not.toContain('\n');
  });

  it('re-reads BIGBRAIN_TOKEN_FILE on every auth call, trimmed', async () => {
    writeFileSync(tokenFile, 'first\n');
    const env = parseEnv('echo', { ...URL_VAR, BIGBRAIN_TOKEN_FILE: tokenFile });
    expect(await env.auth()).toBe('first');
    writeFileSync(tokenFile, '  second  \n');
    expect(await env.auth()).toBe('second');
    writeFileSync(tokenFile, '\n');
    await expect(env.auth()).rejects.toThrow(`BIGBRAIN_TOKEN_FILE ${tokenFile} is empty`);
    expect(envError({ ...URL_VAR, BIGBRAIN_TOKEN_FILE: tokenFile })).toBe(
      `BIGBRAIN_TOKEN_FILE ${tokenFile} is empty`,
    );
  });

  it('prefers an enrolled credential: BIGBRAIN_CREDENTIAL_FILE, else the default file', async () => {
    const gw = await createDevGateway({ identity: { autoApprove: true, pollIntervalMs: 1 } });
    try {
      const file = join(dir, 'creds.json');
      await enrollAt(gw, file, 'env-test');
      const explicit = parseEnv('echo', {
        ...URL_VAR,
        BIGBRAIN_CREDENTIAL_FILE: file,
        BIGBRAIN_TOKEN: 't',
      });
      expect(decodeJwt(await explicit.auth()).aud).toBe('bigbrain');
      const byDefault = parseEnv('echo', { ...URL_VAR, BIGBRAIN_TOKEN: 't' }, file);
      expect(decodeJwt(await byDefault.auth()).aud).toBe('bigbrain');
      expect(envError({ ...URL_VAR, BIGBRAIN_CREDENTIAL_FILE: join(dir, 'gone.json') })).toMatch(
        /gone\.json/,
      );
    } finally {
      await gw.close();
    }
  });

  it('keeps a neuron serving across a token rotated in the file', async () => {
    let accepted = 'token-1';
    writeFileSync(tokenFile, 'token-1\n');
    const env = parseEnv('echo', { ...URL_VAR, BIGBRAIN_TOKEN_FILE: tokenFile });
    const h = await createHarness({
      gateway: { acceptToken: (token) => token === accepted },
      auth: env.auth,
    });
    h.neuron.handle(echoCapability, echoHandler);
    await h.start();
    const first = h.gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    expect((await h.gw.waitForTask(first.taskId)).state).toBe('acked');

    // Rotate: the gateway now accepts only the new token, the file holds it.
    accepted = 'token-2';
    writeFileSync(tokenFile, 'token-2\n');
    const second = h.gw.submitTask({ capabilityType: 'examples/echo', input: 2 });
    expect((await h.gw.waitForTask(second.taskId)).state).toBe('acked');
    expect(h.gw.requestsTo('ack').map((r) => [r.status, r.headers.authorization])).toEqual([
      [200, 'Bearer token-1'],
      [200, 'Bearer token-2'],
    ]);
    await h.stop();
  });
});
