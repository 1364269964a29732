/** Temporary folders for credential files, removed after the test that made them. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialFile } from '@holokai/neuron-sdk/auth';
import { onTestFinished } from 'vitest';

/** Concurrent tests pass their context's `onTestFinished`: the global one may pick another test. */
export async function tempDir(onFinished = onTestFinished): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'neuron-auth-'));
  onFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `content` (JSON-encoded unless a string) with `mode`, as an operator would. */
export async function writeCredential(
  path: string,
  content: CredentialFile | Record<string, unknown> | string,
  mode = 0o600,
): Promise<string> {
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), {
    mode,
  });
  await chmod(path, mode);
  return path;
}

/** The permission bits of `mode`, as `0600`. */
export const permissions = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');
