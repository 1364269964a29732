import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevGateway, type DevGateway } from '../../src/dev-gateway/index.js';
import { connect, echo, type SseStream } from '../dev-gateway/sse-client.js';
import { enroll, idpOf, mint, requestToken } from './oauth.js';

const gateways: DevGateway[] = [];
const streams: SseStream[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  for (const gw of gateways.splice(0)) await gw.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neuron-idp-'));
  folders.push(dir);
  return join(dir, 'state');
}

async function start(stateDir: string | undefined, port = 0): Promise<DevGateway> {
  const gw = await createDevGateway({
    port,
    identity: true,
    ...(stateDir !== undefined && { stateDir }),
  });
  gateways.push(gw);
  return gw;
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('the state folder', () => {
  it('keeps enrolled clients valid across a restart: they still mint, and connect', async () => {
    const stateDir = await folder();
    const before = await start(stateDir);
    const credential = await enroll(before, { name: 'survivor', capabilities: ['examples/echo'] });
    const oldToken = await mint(before, credential);
    const port = Number(new URL(before.url).port);
    await before.close();

    const after = await start(stateDir, port);
    expect(idpOf(after).issuer).toBe(idpOf(before).issuer);
    expect(idpOf(after).clients()).toEqual([
      expect.objectContaining({
        clientId: credential.clientId,
        clientName: 'survivor',
        capabilities: ['examples/echo'],
      }),
    ]);
    const { stream } = await connect(after.url, 'n1', [echo], {
      token: await mint(after, credential),
    });
    streams.push(stream);
    // The key was kept too: a token minted before the restart is still good.
    const { stream: old } = await connect(after.url, 'n2', [echo], { token: oldToken });
    streams.push(old);
  });

  it('keeps a revocation across a restart', async () => {
    const stateDir = await folder();
    const before = await start(stateDir);
    const credential = await enroll(before);
    await idpOf(before).revokeClient(credential.clientId, 'gone');
    await before.close();
    const after = await start(stateDir);
    expect(idpOf(after).clients()[0]).toMatchObject({ revokeReason: 'gone' });
    expect((await requestToken(after, credential)).json).toMatchObject({ error: 'invalid_client' });
  });

  it('is created 0700 with 0600 files, holds no secret in clear, and no temporary file', async () => {
    const stateDir = await folder();
    const gw = await start(stateDir);
    const credential = await enroll(gw);
    expect(await mode(stateDir)).toBe(0o700);
    const files = (await readdir(stateDir)).sort();
    expect(files).toEqual(['clients.json', 'signing-key.json']);
    for (const file of files) expect(await mode(join(stateDir, file))).toBe(0o600);
    const clients = await readFile(join(stateDir, 'clients.json'), 'utf8');
    expect(clients).toContain(credential.clientId);
    expect(clients).not.toContain(credential.clientSecret);
  });

  it('narrows a folder that others can read to 0700', async () => {
    const stateDir = await folder();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(stateDir, { mode: 0o755 });
    await start(stateDir);
    expect(await mode(stateDir)).toBe(0o700);
  });

  it('replaces a key of another algorithm, which only ends the tokens already minted', async () => {
    const stateDir = await folder();
    const before = await start(stateDir);
    const credential = await enroll(before);
    await before.close();
    const after = await createDevGateway({ identity: { algorithm: 'RS256' }, stateDir });
    gateways.push(after);
    const key = JSON.parse(await readFile(join(stateDir, 'signing-key.json'), 'utf8'));
    expect(key.alg).toBe('RS256');
    expect((await requestToken(after, credential)).status).toBe(200);
  });

  it('says which file is broken', async () => {
    const stateDir = await folder();
    await start(stateDir).then((gw) => gw.close());
    await writeFile(join(stateDir, 'clients.json'), '{ nope');
    await expect(start(stateDir)).rejects.toThrow(
      `${join(stateDir, 'clients.json')} is not valid JSON; fix or delete it`,
    );
  });

  it('is refused without identity', async () => {
    await expect(createDevGateway({ stateDir: await folder() })).rejects.toThrow(
      /stateDir keeps the identity provider's state: pass identity too/,
    );
  });
});

describe('a gateway without a state folder', () => {
  it('forgets its clients on restart', async () => {
    const before = await start(undefined);
    const credential = await enroll(before);
    await before.close();
    const after = await start(undefined);
    expect(idpOf(after).clients()).toEqual([]);
    expect((await requestToken(after, credential)).status).toBe(401);
  });
});
