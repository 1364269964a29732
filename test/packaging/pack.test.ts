/**
 * What `npm pack` ships: dist/ with source maps that resolve (their sources embedded) and
 * declaration maps, the documents, package.json — and nothing else. The maps are checked on a
 * fresh build in a temporary folder, packed from there as `prepack` would build and pack it:
 * building into ./dist would swap it under whoever reads it (`npm ci` no longer builds it).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCUMENTS = ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'];

/** The files `npm pack` would put in the tarball of `dir` (scripts off: `prepack` would build). */
function packedFiles(dir: string): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  return pack.files.map((file) => file.path).sort();
}

interface SourceMap {
  sources: string[];
  sourcesContent?: (string | null)[];
}

describe('npm pack', () => {
  let staging: string;
  let files: string[];
  let shipped: Set<string>;

  beforeAll(() => {
    staging = mkdtempSync(join(tmpdir(), 'neuron-sdk-pack-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', join(staging, 'dist')],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const name of DOCUMENTS) cpSync(join(ROOT, name), join(staging, name));
    files = packedFiles(staging);
    shipped = new Set(files);
  }, 120_000);

  afterAll(() => {
    if (staging) rmSync(staging, { recursive: true, force: true });
  });

  it('ships dist/src, dist/machines, the documents and package.json only', () => {
    // From the repository itself: what "files" lets in, whatever else lies around.
    const stray = packedFiles(ROOT).filter(
      (path) => !/^dist\/(?:src|machines)\//.test(path) && !DOCUMENTS.includes(path),
    );
    expect(stray).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(DOCUMENTS));
    expect(files.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it('ships source maps whose every source is in the package or embedded', () => {
    const maps = files.filter((path) => path.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    const unresolved = maps.flatMap((path) => {
      const map = JSON.parse(readFileSync(join(staging, path), 'utf8')) as SourceMap;
      return map.sources
        .filter(
          (source, i) =>
            typeof map.sourcesContent?.[i] !== 'string' &&
            !shipped.has(normalize(join(dirname(path), source))),
        )
        .map((source) => `${path}: ${source}`);
    });
    expect(unresolved).toEqual([]);
  });

  it('ships a declaration map beside every declaration file, a source map beside every script', () => {
    const declarations = files.filter((path) => path.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(0);
    expect(declarations.filter((path) => !shipped.has(`${path}.map`))).toEqual([]);
    const scripts = files.filter((path) => path.endsWith('.js'));
    expect(scripts.filter((path) => !shipped.has(`${path}.map`))).toEqual([]);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('names the repository, its home page and where to report bugs', () => {
    expect(pkg.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/holokai/neuron-sdk.git',
    });
    expect(pkg.homepage).toBe('https://github.com/holokai/neuron-sdk#readme');
    expect(pkg.bugs).toEqual({ url: 'https://github.com/holokai/neuron-sdk/issues' });
  });

  it('runs no script when installed (prepare runs for a git install only)', () => {
    expect(Object.keys(pkg.scripts)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(?:pre|post)?install$/)]),
    );
  });

  it('leaves the inspector packages, which a neuron never loads, to optional peers', () => {
    for (const name of ['@statelyai/inspect', 'ws']) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.peerDependencies[name]).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(pkg.devDependencies[name]).toBeDefined();
    }
  });
});

describe('README.md', () => {
  it('links only to files that exist: the registry resolves them through "repository"', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1]!)
      .filter((target) => !/^(?:[a-z]+:|#)/.test(target))
      .map((target) => target.replace(/#.*$/, ''));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !existsSync(join(ROOT, target)))).toEqual([]);
  });
});
