import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { trackResources } from '../support/resources.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

afterEach(() => vi.restoreAllMocks());

/** The first ```ts block after a heading. */
function codeAfter(markdown: string, heading: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error(`no ts block after ${heading}`);
  return match[1];
}

it('runs the README quick start as written and prints an acked outcome', async () => {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const code = codeAfter(readme, '## Quick start');
  await mkdir(`${root}test/artifacts`, { recursive: true });
  const file = `${root}test/artifacts/readme-quickstart.ts`;
  await writeFile(file, code);
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.join(' '));
  });
  const resources = trackResources();
  await import(/* @vite-ignore */ file);
  await expect.poll(() => resources.sdkLeftovers()).toEqual([]);
  resources.stop();
  expect(printed).toHaveLength(1);
  expect(printed[0]).toMatch(
    /^acked \{"type":"ack","output":\{"echoed":\{"text":"hello"\}\},"durationMs":\d+\}$/,
  );
});
