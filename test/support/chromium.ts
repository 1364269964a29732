/**
 * Finds, and on a Debian or Ubuntu machine run as root installs, the Chrome or Chromium the
 * dashboard tests drive (playwright-core downloads no browser of its own). `setup` is vitest's
 * `globalSetup`: it runs once per `npm test` and hands the result to the test workers with
 * `provide`, so `test/dashboard/browser.ts` launches what was found — or fails with the one line
 * saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** Set to a Chrome or Chromium executable to use it instead of looking for one. */
export const BROWSER_VARS = ['CHROME_PATH', 'CHROMIUM_PATH'] as const;
/** Looked for in this order on `PATH`, then in `/usr/bin` (a PATH without it must not hide it). */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const FALLBACK_DIR = '/usr/bin';

export const INSTALL_LOG = fileURLToPath(
  new URL('../artifacts/chromium-install.log', import.meta.url),
);

/** What the workers get: the executable, or why there is none. */
export type BrowserFound = { path: string } | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    browser: BrowserFound;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The browser to drive: `CHROME_PATH` or `CHROMIUM_PATH` when set (an error when that is not an
 * executable: a wrong setting must not be replaced silently by another browser), else the first
 * of {@link NAMES} on `PATH` or in `/usr/bin`; `undefined` when there is none.
 */
export function findBrowser(
  env: NodeJS.ProcessEnv = process.env,
  executable: (path: string) => boolean = isExecutable,
): BrowserFound | undefined {
  for (const name of BROWSER_VARS) {
    const path = env[name]?.trim();
    if (!path) continue;
    return executable(path)
      ? { path }
      : { error: `${name}=${path} is not an executable: point it at a Chrome or Chromium binary` };
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), FALLBACK_DIR];
  for (const dir of dirs) {
    for (const name of NAMES) {
      const path = join(dir, name);
      if (executable(path)) return { path };
    }
  }
  return undefined;
}

/** Where `apt-get install chromium` can run unattended: root on Debian or Ubuntu, with apt-get. */
export function canInstallChromium(
  env: NodeJS.ProcessEnv,
  uid: number | undefined,
  exists: (path: string) => boolean = existsSync,
  executable: (path: string) => boolean = isExecutable,
): boolean {
  if (uid !== 0 || !exists('/etc/debian_version')) return false;
  return [...(env.PATH ?? '').split(delimiter).filter(Boolean), FALLBACK_DIR].some((dir) =>
    executable(join(dir, 'apt-get')),
  );
}

export const NO_BROWSER =
  'no Chrome or Chromium found for the dashboard tests: install one (Debian/Ubuntu: `apt-get install chromium`) ' +
  'and, if it is not on PATH as chromium, chromium-browser or google-chrome, set CHROME_PATH to it';

/** Installs Debian's chromium, its output in {@link INSTALL_LOG}; the error line when it fails. */
function installChromium(): string | undefined {
  mkdirSync(fileURLToPath(new URL('../artifacts/', import.meta.url)), { recursive: true });
  process.stderr.write(
    `no Chrome or Chromium found: installing Debian's chromium for the dashboard tests (apt-get update && apt-get install -y chromium; log in ${INSTALL_LOG})\n`,
  );
  const log = openSync(INSTALL_LOG, 'w');
  const result = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], {
    stdio: ['ignore', log, log],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  closeSync(log);
  if (result.status === 0) return undefined;
  return `installing chromium with apt-get failed (exit ${result.status ?? result.signal}): see ${INSTALL_LOG}`;
}

export default function setup(project: TestProject): void {
  let found = findBrowser();
  if (found === undefined && canInstallChromium(process.env, process.getuid?.())) {
    const failed = installChromium();
    found = failed === undefined ? findBrowser() : { error: failed };
  }
  found ??= { error: NO_BROWSER };
  if ('error' in found) process.stderr.write(`dashboard tests: ${found.error}\n`);
  project.provide('browser', found);
}
