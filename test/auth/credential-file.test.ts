/**
 * AUTH.md §3: where the credential file lives, and how a reader treats an untrusted one.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type CredentialFile,
  CredentialFileError,
  defaultCredentialPath,
  readCredentialFile,
} from '@holokai/neuron-sdk/auth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir, writeCredential } from './support/files.js';

const SECRET = 'cs_Sup3rS3cret-value-0123456789';

const valid: CredentialFile = {
  version: 1,
  issuer: 'https://moku.example',
  token_endpoint: 'https://moku.example/oauth/token',
  client_id: 'nrn_01HB',
  client_secret: SECRET,
  audience: 'bigbrain',
  name: 'warehouse-connector',
  capabilities: ['org/acme/erp.read'],
  enrolled_at: '2026-12-06T10:00:00.000Z',
};

async function readError(path: string): Promise<CredentialFileError> {
  const err = await readCredentialFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CredentialFileError);
  return err as CredentialFileError;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('defaultCredentialPath', () => {
  it('is $HOLOKAI_CREDENTIAL_FILE when it is set', () => {
    vi.stubEnv('HOLOKAI_CREDENTIAL_FILE', '/etc/holokai/neuron-credentials.json');
    expect(defaultCredentialPath()).toBe('/etc/holokai/neuron-credentials.json');
  });

  it('resolves a relative $HOLOKAI_CREDENTIAL_FILE against the working folder', () => {
    vi.stubEnv('HOLOKAI_CREDENTIAL_FILE', 'creds.json');
    expect(defaultCredentialPath()).toBe(resolve('creds.json'));
  });

  it('is ~/.holokai/neuron-credentials.json otherwise', () => {
    vi.stubEnv('HOLOKAI_CREDENTIAL_FILE', '');
    expect(defaultCredentialPath()).toBe(join(homedir(), '.holokai', 'neuron-credentials.json'));
  });
});

describe('readCredentialFile', () => {
  it('reads a valid file and ignores keys it does not know', async () => {
    const path = await writeCredential(join(await tempDir(), 'c.json'), {
      ...valid,
      future_field: { anything: true },
    });
    expect(await readCredentialFile(path)).toEqual(valid);
  });

  it('reads a file without the informative name, capabilities and enrolled_at', async () => {
    const { name, capabilities, enrolled_at, ...core } = valid;
    const path = await writeCredential(join(await tempDir(), 'c.json'), core);
    expect(await readCredentialFile(path)).toEqual(core);
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a file readable by group or others, saying chmod 600',
    async () => {
      for (const mode of [0o644, 0o640, 0o604, 0o660]) {
        const path = await writeCredential(join(await tempDir(), 'c.json'), valid, mode);
        const err = await readError(path);
        expect(err.reason).toBe('insecure');
        expect(err.code).toBe('NEURON_ERR_CREDENTIAL_FILE');
        expect(err.message).toContain(`Run \`chmod 600 ${path}\``);
        expect(err.message).toContain(`(mode ${mode.toString(8).padStart(4, '0')})`);
      }
    },
  );

  it('refuses another version, saying to upgrade or enroll again', async () => {
    const path = await writeCredential(join(await tempDir(), 'c.json'), { ...valid, version: 2 });
    const err = await readError(path);
    expect(err.reason).toBe('version');
    expect(err.message).toMatch(/has version 2; this SDK reads version 1: upgrade/);
  });

  it('names every field of the wrong type, quoting none of their values', async () => {
    const path = await writeCredential(join(await tempDir(), 'c.json'), {
      version: 1,
      issuer: 'not a url',
      token_endpoint: 'http://moku.example/token',
      client_id: 42,
      client_secret: '',
      name: ['x'],
      capabilities: 'org/acme/erp.read',
    });
    const err = await readError(path);
    expect(err.reason).toBe('malformed');
    expect(err.message).toBe(
      `credential file ${path} is invalid: "issuer" must be a URL; ` +
        '"token_endpoint" must be an https URL (http only to a loopback host); ' +
        '"client_id" must be a non-empty string; "client_secret" must be a non-empty string; ' +
        '"audience" must be a non-empty string; "name" must be a non-empty string; ' +
        '"capabilities" must be an array of strings: fix it, or enroll again with --force to rewrite it',
    );
  });

  it('accepts an http token endpoint on a loopback host', async () => {
    const local = { ...valid, token_endpoint: 'http://127.0.0.1:7777/token' };
    const path = await writeCredential(join(await tempDir(), 'c.json'), local);
    expect((await readCredentialFile(path)).token_endpoint).toBe(local.token_endpoint);
  });

  it('refuses invalid JSON without quoting the file', async () => {
    const broken = JSON.stringify(valid).replace(`"${SECRET}"`, `${SECRET}"`);
    const path = await writeCredential(join(await tempDir(), 'c.json'), broken);
    const err = await readError(path);
    expect(err.reason).toBe('malformed');
    expect(err.message).toBe(
      `credential file ${path} is not valid JSON: fix it, or enroll again with --force to rewrite it`,
    );
    expect(err.cause).toBeUndefined();
  });

  it('refuses JSON that is not an object', async () => {
    const path = await writeCredential(join(await tempDir(), 'c.json'), '[1]');
    expect((await readError(path)).message).toContain('is not a JSON object');
  });

  it('says how to enroll when the file is missing', async () => {
    const path = join(await tempDir(), 'absent.json');
    const err = await readError(path);
    expect(err.reason).toBe('missing');
    expect(err.message).toContain(`no credential file at ${path}: enroll this machine`);
  });

  it('refuses a folder in place of the file', async () => {
    const dir = await tempDir();
    expect((await readError(dir)).reason).toBe('unreadable');
  });
});
