/**
 * `neuron enroll`'s exit codes (AUTH.md §2): 0 enrolled; 2 bad arguments or an existing file;
 * 3 Moku unreachable; 9 denied; 10 expired; 130 interrupted.
 */

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { cli } from './helpers.js';

let gw: DevGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const fast = { NEURON_ENROLL_POLL_SCALE: '0.02' };

async function credentialPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'enroll-cli-')), 'creds.json');
}

async function enrollArgs(extra: string[] = []): Promise<string[]> {
  gw ??= await createDevGateway({ identity: { pollIntervalMs: 1, deviceCodeTtlMs: 400 } });
  return [
    'enroll',
    ...['--moku-url', gw.identity?.issuer ?? '', '--name', 'cli-test'],
    ...['--credentials-file', await credentialPath()],
    ...extra,
  ];
}

/** Decides the first pending code once it shows up. */
function decide(how: 'approve' | 'deny'): void {
  const timer = setInterval(() => {
    const code = gw?.identity?.pendingDeviceCodes()[0];
    if (!code) return;
    clearInterval(timer);
    gw?.identity?.[how](code.userCode);
  }, 10);
}

it('exits 0, printing the code, where the credential went and what to run next', async () => {
  decide('approve');
  const { code, stdout } = await cli(await enrollArgs(), { env: fast });
  expect(code).toBe(0);
  expect(stdout).toMatch(/confirm the code [A-Z0-9]{4}-[A-Z0-9]{4}/);
  expect(stdout).toMatch(/waiting for approval \(poll 1\)/);
  expect(stdout).toMatch(/credential written to .*creds\.json\nnext: start your neuron/);
});

it('exits 9 when the enrollment is denied, saying so', async () => {
  decide('deny');
  const { code, stderr } = await cli(await enrollArgs(), { env: fast });
  expect(code).toBe(9);
  expect(stderr).toMatch(/^error: .*denied/);
});

it('exits 10 when nobody approves before the code expires', async () => {
  const { code, stderr } = await cli(await enrollArgs(), { env: fast });
  expect(code).toBe(10);
  expect(stderr).toMatch(/^error: .*expired/);
});

it('exits 2 for bad arguments and for an existing credential file without --force', async () => {
  expect((await cli(['enroll', '--moku-url', 'http://127.0.0.1:1/moku'])).code).toBe(2);
  const args = await enrollArgs();
  await writeFile(args.at(-1) ?? '', '{}');
  const exists = await cli(args, { env: fast });
  expect(exists.code).toBe(2);
  expect(exists.stderr).toMatch(/--force/);
});

it('exits 3 when no Moku answers at the URL', async () => {
  const port = await freePort();
  const { code, stderr } = await cli(
    ['enroll', '--moku-url', `http://127.0.0.1:${port}/moku`, '--name', 'x'],
    { env: fast },
  );
  expect(code).toBe(3);
  expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
});

it('exits 130 on Ctrl-C while waiting, writing nothing', async () => {
  const ctl = new AbortController();
  const waiting = cli(await enrollArgs(), { env: fast, signal: ctl.signal });
  setTimeout(() => ctl.abort(), 150);
  const { code, stderr } = await waiting;
  expect(code).toBe(130);
  expect(stderr).toMatch(/nothing was written/);
});
