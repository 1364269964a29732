/**
 * AUTH.md §4: "A token is never written to a log or an error." Nor is a client secret: every error
 * the auth entry point throws is inspected in full (message, stack, cause chain, hidden properties),
 * including errors provoked by servers that echo secrets back.
 */
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  CredentialRevokedError,
  createClientCredentialsAuth,
  EnrollmentError,
  enroll,
  readCredentialFile,
  TokenRequestError,
} from '@holokai/neuron-sdk/auth';
import { describe, expect, it } from 'vitest';
import { tempDir, writeCredential } from './support/files.js';
import { useIdp } from './support/idp.js';

const idp = useIdp();

/** Everything an error exposes, however it is printed or serialised. */
function everything(err: unknown): string {
  const e = err as Error;
  return [
    inspect(err, { depth: null, showHidden: true }),
    JSON.stringify(err),
    String(err),
    e.stack,
    inspect(e.cause, { depth: null, showHidden: true }),
  ].join('\n');
}

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err,
  );
}

/** Enrolls against faults; `secrets` collects what the fault handlers saw or sent. */
async function enrollWithFaults(secrets: string[]): Promise<unknown> {
  return thrown(
    enroll({
      mokuUrl: idp.url,
      name: 'leaky',
      credentialsFile: join(await tempDir(), 'c.json'),
      pollIntervalScale: 0.01,
      onVerification: (info) => void idp.approve(info.userCode),
    }),
  ).finally(() => expect(secrets.length).toBeGreaterThan(0));
}

describe('no secret or token in any error', () => {
  it('when the client is revoked', async () => {
    const credential = await idp.addNeuronClient();
    const path = await writeCredential(join(await tempDir(), 'c.json'), credential);
    await idp.revoke(credential.client_id);
    const err = await thrown(createClientCredentialsAuth(path)());
    expect(err).toBeInstanceOf(CredentialRevokedError);
    expect(everything(err)).not.toContain(credential.client_secret);
  });

  it('when the token endpoint echoes the secret in its error description', async () => {
    const credential = await idp.addNeuronClient();
    const path = await writeCredential(join(await tempDir(), 'c.json'), credential);
    const auth = createClientCredentialsAuth(path);
    for (const status of [500, 400]) {
      idp.faults.push({
        path: '/token',
        status,
        body: { error: 'server_error', error_description: `bad ${credential.client_secret}` },
      });
      const err = await thrown(auth());
      expect(err).toBeInstanceOf(TokenRequestError);
      // A 4xx body is an OAuth error, read and redacted; openid-client leaves a 5xx body unread.
      if (status === 400) expect((err as Error).message).toContain('bad [redacted]');
      expect(everything(err)).not.toContain(credential.client_secret);
    }
  });

  it('when the credential file is broken around the secret', async () => {
    const secret = 'cs_the-secret-in-a-broken-file';
    const path = await writeCredential(
      join(await tempDir(), 'c.json'),
      `{"version":1,"client_secret":${secret}}`,
    );
    const err = await thrown(readCredentialFile(path));
    expect(everything(err)).not.toContain(secret);
    expect(() => createClientCredentialsAuth(path)).toThrow(/not valid JSON/);
  });

  it('when registration answers with a secret but no client_id', async () => {
    const secrets: string[] = [];
    idp.faults.push({
      path: '/reg',
      status: 201,
      body: () => {
        const secret = 'cs_registered-but-unusable-0123456789';
        secrets.push(secret);
        return { client_secret: secret, client_name: 'leaky' };
      },
    });
    const err = await enrollWithFaults(secrets);
    expect(err).toMatchObject({ reason: 'protocol', exitCode: 11 });
    expect(everything(err)).not.toContain(secrets[0]);
  });

  it('when registration echoes the device-flow token', async () => {
    const secrets: string[] = [];
    idp.faults.push({
      path: '/reg',
      status: 400,
      body: (req: IncomingMessage) => {
        const token = req.headers.authorization!.replace(/^Bearer /, '');
        secrets.push(token);
        return { error: 'invalid_client_metadata', error_description: `bad token ${token}` };
      },
    });
    const err = await enrollWithFaults(secrets);
    expect(err).toBeInstanceOf(EnrollmentError);
    expect((err as Error).message).toContain('bad token [redacted]');
    expect(everything(err)).not.toContain(secrets[0]);
  });

  it('when the device-flow token answer is malformed', async () => {
    const secrets: string[] = [];
    idp.faults.push({
      path: '/token',
      status: 200,
      body: () => {
        const token = 'at_device-flow-token-0123456789';
        secrets.push(token);
        return { access_token: token, token_type: 42 };
      },
    });
    const err = await enrollWithFaults(secrets);
    expect(err).toMatchObject({ reason: 'protocol', exitCode: 11 });
    expect(everything(err)).not.toContain(secrets[0]);
  });
});
