/**
 * AUTH.md §4 against oidc-provider: minting `aud=bigbrain` JWTs with client_credentials, caching and
 * refreshing them, one request for many callers, rotation, revocation and transient failures.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuthCallback, AuthCallbackError } from '@holokai/neuron-sdk';
import {
  type CredentialFile,
  CredentialFileError,
  CredentialRevokedError,
  createClientCredentialsAuth,
  TokenRequestError,
} from '@holokai/neuron-sdk/auth';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir, writeCredential } from './support/files.js';
import { useIdp } from './support/idp.js';

const idp = useIdp();
afterEach(() => {
  idp.settings.tokenTtl = 600;
  vi.useRealTimers();
});

/** A client Moku knows, its credential file, and a counter of token requests. */
async function enrolled(): Promise<{
  credential: CredentialFile;
  path: string;
  tokenRequests: () => number;
}> {
  const credential = await idp.addNeuronClient();
  const path = await writeCredential(join(await tempDir(), 'neuron-credentials.json'), credential);
  const from = idp.requests.length;
  return {
    credential,
    path,
    tokenRequests: () => idp.requests.slice(from).filter((r) => r.path === '/token').length,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('createClientCredentialsAuth', () => {
  it('mints an ES256 JWT for aud=bigbrain whose subject is the client', async () => {
    const { credential, path } = await enrolled();
    const auth: AuthCallback = createClientCredentialsAuth(path);
    const token = await auth();
    const jwks = (await (await fetch(`${idp.url}/jwks`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: idp.url,
      audience: 'bigbrain',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: credential.client_id,
      client_id: credential.client_id,
      kind: 'neuron',
      org_id: 'acme',
    });
  });

  it('serves the cached token until it is due for refresh', async () => {
    const { path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const first = await auth();
    expect(await auth()).toBe(first);
    expect(await auth()).toBe(first);
    expect(tokenRequests()).toBe(1);
  });

  it('sends 50 concurrent calls as one token request', async () => {
    const { path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => auth()));
    expect(new Set(tokens).size).toBe(1);
    expect(tokenRequests()).toBe(1);
  });

  it.each([
    // 80 % of 600 s (480 s) comes before 60 s before expiry (540 s).
    { ttl: 600, quiet: 479, refresh: 481 },
    // 60 s before the expiry of a 200 s token (140 s) comes before 80 % (160 s).
    { ttl: 200, quiet: 139, refresh: 141 },
    // A 60 s token: "60 s before expiry" is at issue, so half its life (30 s) is used instead.
    { ttl: 60, quiet: 29, refresh: 31 },
  ])(
    'refreshes a $ttl s token after $refresh s while still serving the old one',
    async ({ ttl, quiet, refresh }) => {
      idp.settings.tokenTtl = ttl;
      vi.useFakeTimers({ toFake: ['Date'] });
      const { path, tokenRequests } = await enrolled();
      const auth = createClientCredentialsAuth(path);
      const start = Date.now();
      const first = await auth();
      expect(decodeJwt(first).exp! - decodeJwt(first).iat!).toBe(ttl);

      vi.setSystemTime(start + quiet * 1000);
      expect(await auth()).toBe(first);
      expect(tokenRequests()).toBe(1);

      vi.setSystemTime(start + refresh * 1000);
      expect(await auth()).toBe(first); // still valid: served while the new one is fetched
      await vi.waitFor(() => expect(tokenRequests()).toBe(2));
      await vi.waitFor(async () => expect(await auth()).not.toBe(first));
      expect(tokenRequests()).toBe(2);
    },
  );

  it('waits for a new token once the cached one has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const start = Date.now();
    const first = await auth();
    vi.setSystemTime(start + 601_000);
    expect(await auth()).not.toBe(first);
    expect(tokenRequests()).toBe(2);
  });

  it('keeps serving the valid token when an early refresh fails, and retries later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const start = Date.now();
    const first = await auth();
    idp.faults.push({ path: '/token', status: 503 });
    vi.setSystemTime(start + 500_000);
    expect(await auth()).toBe(first);
    await vi.waitFor(() => expect(tokenRequests()).toBe(2));
    expect(await auth()).toBe(first); // no new request within 5 s of the failure
    expect(tokenRequests()).toBe(2);
    vi.setSystemTime(start + 506_000);
    expect(await auth()).toBe(first);
    await vi.waitFor(async () => expect(await auth()).not.toBe(first));
    expect(tokenRequests()).toBe(3);
  });

  it('picks up a rotated secret on invalid_client and retries at once', async () => {
    const { credential, path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const secret = await idp.rotateSecret(credential.client_id);
    await writeCredential(path, { ...credential, client_secret: secret });
    const token = await auth();
    expect(decodeJwt(token).sub).toBe(credential.client_id);
    expect(tokenRequests()).toBe(2); // the refused one, then the retry
  });

  it('throws CredentialRevokedError when the client is revoked, and recovers once the file is replaced', async () => {
    const { credential, path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    await idp.revoke(credential.client_id);
    const err = await rejection(auth());
    expect(err).toBeInstanceOf(CredentialRevokedError);
    expect(err).toMatchObject({ code: 'NEURON_ERR_CREDENTIAL_REVOKED', path });
    expect((err as Error).message).toMatch(
      new RegExp(
        `rejected client ${credential.client_id} \\(HTTP 401 invalid_client.*Enroll this machine again`,
      ),
    );
    expect(tokenRequests()).toBe(1);

    // Each later call re-reads the file first: still revoked…
    await expect(auth()).rejects.toBeInstanceOf(CredentialRevokedError);
    expect(tokenRequests()).toBe(2);
    // …until the machine is enrolled again, without a restart.
    await writeCredential(path, await idp.addNeuronClient());
    expect(decodeJwt(await auth()).aud).toBe('bigbrain');
    expect(tokenRequests()).toBe(3);
  });

  it('asks Moku again when the gateway rejected its token, and so learns of a revocation', async () => {
    const { credential, path, tokenRequests } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const token = await auth();
    expect(await auth()).toBe(token);
    expect(tokenRequests()).toBe(1);
    await idp.revoke(credential.client_id);
    // Still cached and unexpired: handed out until the gateway refuses it.
    expect(await auth()).toBe(token);
    await expect(auth({ rejected: true })).rejects.toBeInstanceOf(CredentialRevokedError);
    expect(tokenRequests()).toBe(2);
  });

  it('throws CredentialRevokedError when the file is gone after invalid_client', async () => {
    const { credential, path } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    await idp.revoke(credential.client_id);
    await rm(path);
    const err = await rejection(auth());
    expect(err).toBeInstanceOf(CredentialRevokedError);
    expect((err as Error).message).toContain(`no credential file at ${path}`);
  });

  it('throws at creation when there is no credential file, or an unusable one', async () => {
    const dir = await tempDir();
    const missing = join(dir, 'absent.json');
    expect(() => createClientCredentialsAuth(missing)).toThrow(CredentialRevokedError);
    const open = await writeCredential(join(dir, 'open.json'), await idp.addNeuronClient(), 0o644);
    if (process.platform !== 'win32') {
      expect(() => createClientCredentialsAuth(open)).toThrow(CredentialFileError);
      expect(() => createClientCredentialsAuth(open)).toThrow(`chmod 600 ${open}`);
    }
  });

  it('reports 429, 5xx, resets and timeouts as transient TokenRequestErrors, then recovers', async () => {
    const { path } = await enrolled();
    const auth = createClientCredentialsAuth(path);
    const impatient = createClientCredentialsAuth(path, { timeoutMs: 150 });
    idp.faults.push(
      { path: '/token', status: 503, headers: { 'retry-after': '3' } },
      { path: '/token', status: 429, body: { error: 'slow_down' } },
      { path: '/token', status: 500, body: { error: 'server_error' } },
      { path: '/token', action: 'reset' },
      { path: '/token', action: 'hang' },
    );
    const seen: unknown[] = [];
    for (let i = 0; i < 4; i += 1) seen.push(await rejection(auth()));
    seen.push(await rejection(impatient()));
    for (const err of seen) {
      expect(err).toBeInstanceOf(TokenRequestError);
      expect(err).toBeInstanceOf(AuthCallbackError);
      expect(err).toMatchObject({ transient: true, code: 'NEURON_ERR_AUTH_CALLBACK' });
      expect((err as Error).message).toMatch(/a transient failure, the neuron will retry/);
    }
    expect(seen.map((e) => (e as TokenRequestError).status)).toEqual([
      503,
      429,
      500,
      undefined,
      undefined,
    ]);
    expect((seen[4] as Error).message).toContain('timed out');
    expect(decodeJwt(await auth()).aud).toBe('bigbrain');
  });

  it('reports a refused request that is not invalid_client as a non-transient TokenRequestError', async () => {
    const { credential } = await enrolled();
    const path = await writeCredential(join(await tempDir(), 'c.json'), {
      ...credential,
      audience: 'elsewhere',
    });
    const err = await rejection(createClientCredentialsAuth(path)());
    expect(err).toBeInstanceOf(TokenRequestError);
    expect(err).toMatchObject({ transient: false, status: 400, oauthError: 'invalid_target' });
    expect((err as Error).message).toMatch(
      /refused a token .*invalid_target.*check the credential file/,
    );
  });
});
