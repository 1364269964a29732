/**
 * Issue 12 end to end: `neuron enroll` in a child process against the dev gateway's identity
 * provider, approved through the dev API; then a `Neuron` whose `auth` is
 * `createClientCredentialsAuth` serves, refreshes its token before expiry, survives a rotation,
 * and stops at a revocation.
 */
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Neuron, type NeuronError, RegistrationRejectedError } from '@holokai/neuron-sdk';
import { CredentialRevokedError, createClientCredentialsAuth } from '@holokai/neuron-sdk/auth';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { killChildren, spawnCli } from '../cli/helpers.js';

const ECHO = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;
let gw: DevGateway | undefined;
const neurons: Neuron[] = [];

/** Token requests to the provider, counted where openid-client sends them: through `fetch`. */
let tokenCalls = 0;
const tokenRequests = () => tokenCalls;
const realFetch = globalThis.fetch;
beforeEach(() => {
  tokenCalls = 0;
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith('/moku/token')) tokenCalls++;
    return realFetch(input, init);
  };
});

afterEach(async () => {
  globalThis.fetch = realFetch;
  await Promise.all(neurons.splice(0).map((n) => n.stop({ drain: false })));
  await killChildren();
  await gw?.close();
  gw = undefined;
});

/** Enrolls through the CLI, approving with the dev API; the credential file's path. */
async function enrollWithCli(gateway: DevGateway): Promise<{ file: string; stdout: string }> {
  const file = join(await mkdtemp(join(tmpdir(), 'enroll-')), 'creds', 'neuron.json');
  const identity = gateway.identity;
  if (!identity) throw new Error('no identity provider');
  const child = spawnCli(
    [
      'enroll',
      ...['--moku-url', identity.issuer, '--name', 'e2e-neuron'],
      ...['--capabilities', ECHO.type, '--credentials-file', file],
    ],
    { NEURON_ENROLL_POLL_SCALE: '0.05' },
  );
  const shown = await child.waitForOutput(/confirm the code ([A-Z0-9-]+)/);
  const userCode = /confirm the code ([A-Z0-9-]+)/.exec(String(shown))?.[1] ?? '';
  const approved = await fetch(
    `${gateway.url}/__dev__/identity/device-codes/${encodeURIComponent(userCode)}/approve`,
    { method: 'POST' },
  );
  expect(approved.status).toBe(200);
  expect(await child.exited).toBe(0);
  return { file, stdout: child.stdout() };
}

function serving(gateway: DevGateway, auth: ReturnType<typeof createClientCredentialsAuth>) {
  const errors: Error[] = [];
  const delays: number[] = [];
  const neuron = new Neuron({
    gatewayUrl: gateway.url,
    neuronId: `e2e-${neurons.length + 1}`,
    auth,
    heartbeatIntervalMs: 100,
    initialReconnectDelayMs: 20,
    maxReconnectDelayMs: 250,
  });
  neurons.push(neuron);
  neuron.handle(ECHO, (input) => input);
  neuron.on('error', (err) => errors.push(err));
  neuron.on('connection:reconnecting', (info) => delays.push(info.delayMs));
  return { neuron, errors, delays };
}

it('enrolls with `neuron enroll`, writes a 0600 credential, and a neuron serves with it', async () => {
  gw = await createDevGateway({ identity: { pollIntervalMs: 1, tokenTtlMs: 3_000 } });
  const { file, stdout } = await enrollWithCli(gw);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700);
  expect(stdout).toContain(`credential written to ${file}`);
  expect(stdout).toContain('createClientCredentialsAuth');
  const credential = JSON.parse(await readFile(file, 'utf8')) as { client_id: string };
  expect(gw.identity?.clients().map((c) => c.clientId)).toEqual([credential.client_id]);

  const { neuron } = serving(gw, createClientCredentialsAuth(file));
  await neuron.start();
  const task = gw.submitTask({ capabilityType: ECHO.type, input: { hi: 1 } });
  expect((await gw.waitForTask(task.taskId)).state).toBe('acked');

  // A 3 s token, refreshed from 1.5 s on while callers keep the valid one: no 401 ever.
  await expect.poll(tokenRequests, { timeout: 4_000, interval: 50 }).toBeGreaterThanOrEqual(2);
  expect(gw.requests.filter((r) => r.status === 401)).toEqual([]);
});

it('makes one token request for 50 concurrent auth() calls', async () => {
  gw = await createDevGateway({ identity: { pollIntervalMs: 1 } });
  const { file } = await enrollWithCli(gw);
  const auth = createClientCredentialsAuth(file);
  const before = tokenRequests();
  const tokens = await Promise.all(Array.from({ length: 50 }, () => auth()));
  expect(new Set(tokens).size).toBe(1);
  expect(tokenRequests() - before).toBe(1);
});

it('picks up a new secret written to the file without a restart', async () => {
  gw = await createDevGateway({ identity: { pollIntervalMs: 1 } });
  const first = await enrollWithCli(gw);
  const second = await enrollWithCli(gw);
  const auth = createClientCredentialsAuth(first.file);
  await auth();
  const old = JSON.parse(await readFile(first.file, 'utf8')) as { client_id: string };
  // The operator installs the other credential (a rotation), and Moku drops the old client.
  await writeFile(first.file, await readFile(second.file));
  await gw.identity?.revokeClient(old.client_id);
  const { neuron, errors } = serving(gw, auth);
  await neuron.start();
  const task = gw.submitTask({ capabilityType: ECHO.type, input: 1 });
  expect((await gw.waitForTask(task.taskId)).state).toBe('acked');
  expect(errors.filter((e) => e instanceof CredentialRevokedError)).toEqual([]);
});

it('on revocation: the stream is closed, CredentialRevokedError is reported, reconnects wait the maximum', async () => {
  gw = await createDevGateway({ identity: { pollIntervalMs: 1 } });
  const { file } = await enrollWithCli(gw);
  const credential = JSON.parse(await readFile(file, 'utf8')) as { client_id: string };
  const { neuron, errors, delays } = serving(gw, createClientCredentialsAuth(file));
  await neuron.start();
  await gw.waitFor('registered', (e) => e.neuronId === neuron.neuronId);
  const closed = new Promise<string>((resolve) => neuron.once('connection:close', resolve));
  const { disconnected } = (await gw.identity?.revokeClient(credential.client_id, 'e2e')) ?? {};
  expect(disconnected).toEqual([neuron.neuronId]);
  expect(await closed).toMatch(/disconnect/);
  await expect
    .poll(() => errors.filter((e) => e instanceof CredentialRevokedError).length, {
      timeout: 3_000,
    })
    .toBeGreaterThanOrEqual(2);
  // After the first refusal every reconnect waits the maximum; none comes sooner.
  expect(delays.slice(1).every((d) => d === 250)).toBe(true);
  expect(delays.length).toBeGreaterThanOrEqual(2);
  const revoked = errors.find((e) => e instanceof CredentialRevokedError) as NeuronError;
  expect(revoked.message).toMatch(/Enroll this machine again/);
  const { client_secret } = JSON.parse(await readFile(file, 'utf8')) as { client_secret: string };
  expect(revoked.message).not.toContain(client_secret);
});

it('answers 403 with the code and why when the token may not advertise a namespace', async () => {
  gw = await createDevGateway({ identity: { pollIntervalMs: 1 } });
  const { file } = await enrollWithCli(gw);
  const errors: Error[] = [];
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'e2e-core',
    auth: createClientCredentialsAuth(file),
    heartbeatIntervalMs: 60_000,
  });
  neurons.push(neuron);
  neuron.handle({ type: 'core/files', scope: 'any', concurrency: 1 }, (input) => input);
  neuron.on('error', (err) => errors.push(err));
  await neuron.start();
  await expect.poll(() => errors.length).toBeGreaterThan(0);
  const refused = errors[0] as RegistrationRejectedError;
  expect(refused).toBeInstanceOf(RegistrationRejectedError);
  expect(refused.status).toBe(403);
  expect(refused.gatewayCode).toBe('NAMESPACE_FORBIDDEN');
  expect(refused.message).toMatch(/core\/files/);
  expect(refused.message).toMatch(/service/);
});
