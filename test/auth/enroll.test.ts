/**
 * AUTH.md §1–3 against oidc-provider: discovery, registration with the device-flow token, the
 * credential file, and the arguments `enroll` refuses. Polling rules: polling.test.ts.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type EnrollOptions, enroll, readCredentialFile } from '@holokai/neuron-sdk/auth';
import { describe, expect, it } from 'vitest';
import { trackResources } from '../support/resources.js';
import { enrollmentWith, failure } from './support/enrollment.js';
import { permissions, writeCredential } from './support/files.js';
import { useIdp } from './support/idp.js';

const idp = useIdp();

const run = enrollmentWith(idp);

describe('enroll', () => {
  it('registers the machine and writes a 0600 credential file in a new 0700 folder', async () => {
    const { options, verification } = await run({ capabilities: ['org/acme/erp.read', 'x/y'] });
    const from = idp.registrations.length;
    const result = await enroll(options);

    const file = options.credentialsFile!;
    expect(permissions((await stat(file)).mode)).toBe('0600');
    expect(permissions((await stat(join(file, '..'))).mode)).toBe('0700');
    const written = JSON.parse(await readFile(file, 'utf8'));
    expect(written).toEqual({
      version: 1,
      issuer: idp.url,
      token_endpoint: `${idp.url}/token`,
      client_id: result.clientId,
      client_secret: expect.any(String),
      audience: 'bigbrain',
      name: 'neuron-1',
      capabilities: ['org/acme/erp.read', 'x/y'],
      enrolled_at: result.enrolledAt,
    });
    expect(await readCredentialFile(file)).toEqual(written);
    expect(result).toEqual({
      credentialsFile: file,
      clientId: written.client_id,
      issuer: idp.url,
      tokenEndpoint: `${idp.url}/token`,
      audience: 'bigbrain',
      name: 'neuron-1',
      capabilities: ['org/acme/erp.read', 'x/y'],
      enrolledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(JSON.stringify(result)).not.toContain(written.client_secret);

    // Step 1's display hints, step 4's body, and the client Moku now knows.
    expect(await idp.deviceParams(verification().userCode)).toMatchObject({
      client_id: 'neuron-enrollment',
      scope: 'neuron:enroll',
      client_name: 'neuron-1',
      capabilities: 'org/acme/erp.read,x/y',
    });
    expect(idp.registrations.slice(from)).toEqual([
      {
        client_name: 'neuron-1',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        capabilities: ['org/acme/erp.read', 'x/y'],
      },
    ]);
    expect(await idp.clientMetadata(result.clientId)).toMatchObject({
      client_name: 'neuron-1',
      grant_types: ['client_credentials'],
    });
    expect(verification()).toEqual({
      verificationUri: `${idp.url}/device`,
      verificationUriComplete: expect.stringContaining('user_code='),
      userCode: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/),
      expiresIn: 600,
    });
  });

  it('falls back to openid-configuration when oauth-authorization-server answers 404', async () => {
    const { options } = await run();
    idp.faults.push({ path: '/.well-known/oauth-authorization-server', status: 404 });
    const from = idp.requests.length;
    await enroll(options);
    expect(idp.requests.slice(from).map((r) => r.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/device/auth',
      '/token',
      '/.well-known/openid-configuration', // registration reads the document that answered
      '/reg',
    ]);
  });

  it('stops with exit code 11 when registration refuses the device-flow token', async () => {
    const { options } = await run();
    idp.faults.push({ path: '/reg', status: 400, body: { error: 'invalid_client_metadata' } });
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'protocol', exitCode: 11 });
    expect(err.message).toContain('client registration');
  });

  it('stops with exit code 3 when Moku cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const { options } = await run({ mokuUrl: `http://127.0.0.1:${port}` });
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'unreachable', exitCode: 3 });
    expect(err.message).toMatch(/could not reach Moku.*ECONNREFUSED.*check --moku-url/);
  });

  it('stops with exit code 3 when neither metadata document exists', async () => {
    const { options } = await run();
    idp.faults.push({ path: '/.well-known/oauth-authorization-server', status: 404 });
    idp.faults.push({ path: '/.well-known/openid-configuration', status: 404 });
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'unreachable', exitCode: 3 });
    expect(err.message).toMatch(/not answer as an OAuth authorization server.*HTTP 404/);
  });

  it("stops with exit code 3 when the metadata's issuer is not mokuUrl", async () => {
    const { options } = await run({ mokuUrl: idp.url.replace('127.0.0.1', 'localhost') });
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'unreachable', exitCode: 3 });
    expect(err.message).toMatch(/names the issuer http:\/\/127\.0\.0\.1:\d+\/, not/);
  });

  it('accepts mokuUrl with a trailing slash', async () => {
    const { options } = await run({ mokuUrl: `${idp.url}/` });
    await expect(enroll(options)).resolves.toMatchObject({ issuer: idp.url });
  });

  it('refuses bad arguments with exit code 2 before any request', async () => {
    const from = idp.requests.length;
    const cases: [Partial<EnrollOptions>, RegExp][] = [
      [{ mokuUrl: 'http://moku.example' }, /https \(http is accepted for loopback hosts only\)/],
      [{ mokuUrl: 'not a url' }, /mokuUrl must be the URL of Moku/],
      [{ mokuUrl: `${idp.url}?tenant=1` }, /no credentials, query or fragment/],
      [{ name: ' ' }, /name must be a non-empty string/],
      [{ capabilities: ['a,b'] }, /capabilities must be capability types without commas/],
      [{ pollIntervalScale: 0 }, /pollIntervalScale must be a positive number/],
    ];
    for (const [overrides, message] of cases) {
      const { options } = await run(overrides);
      const err = await failure(enroll(options));
      expect(err).toMatchObject({ reason: 'invalid-options', exitCode: 2 });
      expect(err.message).toMatch(message);
    }
    expect(idp.requests.length).toBe(from);
  });

  it('refuses to overwrite a credential file without force (exit code 2), and replaces it with force', async () => {
    const { options } = await run();
    const file = options.credentialsFile!;
    await enroll(options);
    const first = await readCredentialFile(file);
    const from = idp.requests.length;

    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'exists', exitCode: 2 });
    expect(err.message).toContain(`a credential file already exists at ${file}: pass --force`);
    expect(idp.requests.length).toBe(from); // the admin was not asked for nothing

    const second = await enroll({ ...options, force: true });
    expect(second.clientId).not.toBe(first.client_id);
    expect((await readCredentialFile(file)).client_id).toBe(second.clientId);
    expect(permissions((await stat(file)).mode)).toBe('0600');
  });

  it('refuses an existing file even when it is not a valid credential', async () => {
    const { options } = await run();
    const dir = join(options.credentialsFile!, '..');
    await mkdir(dir, { recursive: true });
    await writeCredential(options.credentialsFile!, 'not json');
    await expect(failure(enroll(options))).resolves.toMatchObject({ reason: 'exists' });
  });

  it('refuses a credentials file it cannot write with exit code 2, before asking the admin', async () => {
    const { options } = await run();
    // A file where the folder should be: no mkdir gets past it, not even root's.
    const blocker = join(options.credentialsFile!, '..');
    await writeCredential(blocker, 'a file, not a folder');
    const from = idp.requests.length;
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'invalid-options', exitCode: 2 });
    expect(err.message).toMatch(
      /cannot write the credential file .* \((EEXIST|ENOTDIR)\)\. Choose a writable/,
    );
    expect(idp.requests.length).toBe(from);
  });

  it('leaves no timer behind, however it ends', async () => {
    const tracked = trackResources();
    try {
      await enroll((await run()).options);
      await enroll((await run({}, (code) => idp.deny(code))).options).catch(() => {});
      idp.faults.push({ path: '/token', status: 400, body: { error: 'expired_token' } });
      await enroll((await run({}, null)).options).catch(() => {});
      const controller = new AbortController();
      const { options } = await run({ signal: controller.signal }, null);
      const aborted = enroll({ ...options, onPoll: () => controller.abort() });
      await aborted.catch(() => {});
      // Sockets are fetch's keep-alive pool, not the SDK's to close; timers must all be gone.
      const timers = () => tracked.sdkLeftovers().filter((r) => r.startsWith('Timeout'));
      await expect.poll(timers, { timeout: 2_000, interval: 20 }).toEqual([]);
    } finally {
      tracked.stop();
    }
  });
});
