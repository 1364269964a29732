/**
 * With no `logger`, warnings and errors go to stderr as JSON lines (pino) at `NEURON_LOG_LEVEL`
 * (default `warn`): a rejected token is never silent. `logger: false` is silence.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultLogLevel } from '../../src/neuron/log-level.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let gw: DevGateway;
beforeAll(async () => {
  gw = await createDevGateway({ token: 'right-token' });
});
afterAll(() => gw.close());

async function stderrOf(env: Record<string, string>): Promise<string> {
  const { NEURON_LOG_LEVEL: _inherited, ...inherited } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/logging/fixtures/wrong-token.ts'],
    {
      cwd: ROOT,
      env: { ...inherited, GATEWAY_URL: gw.url, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  return stderr;
}

it('reports a rejected token on stderr as a JSON line, by default', async () => {
  const lines = (await stderrOf({})).split('\n').filter(Boolean);
  const records = lines.map(
    (line) => JSON.parse(line) as { level: number; msg: string; err?: string },
  );
  const rejected = records.find((r) => r.level >= 40 && /401/.test(r.err ?? ''));
  expect(rejected, lines.join('\n')).toBeDefined();
  expect(records.every((r) => r.level >= 40)).toBe(true);
  expect(lines.join('\n')).not.toContain('wrong-token');
});

it('says nothing with logger: false, or NEURON_LOG_LEVEL=silent', async () => {
  expect(await stderrOf({ LOGGER: 'false' })).toBe('');
  expect(await stderrOf({ NEURON_LOG_LEVEL: 'silent' })).toBe('');
});

it('reads NEURON_LOG_LEVEL, falling back to warn', () => {
  expect(defaultLogLevel('DEBUG')).toBe('debug');
  expect(defaultLogLevel(' error ')).toBe('error');
  expect(defaultLogLevel('loud')).toBe('warn');
  expect(defaultLogLevel(undefined)).toBe('warn');
});
