/**
 * A bundle of one of the package's entries, as an app's bundler would make it: esbuild, minified.
 * For the browser (`--platform=browser`: conditions `browser`, `import`, `default`, never `node`)
 * a `node:` import, or a Node-only package (which imports `node:*` itself), cannot be resolved and
 * fails the bundle.
 */
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { ROOT } from './paths.js';

/** The entries that must run in a browser (the reference: "the root and ./ipc are browser-clean"). */
export const BROWSER_ENTRIES = [
  '@holokai/neuron-sdk',
  '@holokai/neuron-sdk/ipc',
  '@holokai/neuron-sdk/machines',
] as const;

export interface EntryBundle {
  entry: string;
  /** Minified. */
  bytes: number;
  gzipBytes: number;
  /** The packages bundled in, by name. */
  packages: string[];
  /** Every bundled file, relative to the repository. */
  inputs: string[];
}

/**
 * `from: 'dist'` bundles the package as built, resolved through its own package.json (`exports`,
 * and `imports` for the platform modules), as a consumer's bundler sees it. `from: 'src'` bundles
 * the sources instead, through `test/compat/tsconfig.json`'s paths (the browser variants), with no
 * build needed.
 */
export async function bundleEntry(
  entry: string,
  { from, platform = 'browser' }: { from: 'dist' | 'src'; platform?: 'browser' | 'node' },
): Promise<EntryBundle> {
  const result = await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform,
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    // esbuild reads tsconfig paths; the root's map the platform modules to their Node variants.
    ...(from === 'dist'
      ? { tsconfigRaw: {} }
      : { tsconfig: platform === 'browser' ? 'test/compat/tsconfig.json' : 'tsconfig.json' }),
    absWorkingDir: ROOT,
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  // In Node, the builtins stay imports (the Node build is not this check's business).
  const externals = platform === 'browser' ? importsLeftOut(result.metafile) : [];
  if (externals.length > 0) {
    throw new Error(`${entry}: the bundle leaves imports to the runtime: ${externals.join(', ')}`);
  }
  const inputs = Object.keys(result.metafile.inputs);
  return {
    entry,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
    packages: [...new Set(inputs.flatMap(packageName))].sort(),
    inputs,
  };
}

/** Imports esbuild did not bundle (a `node:` builtin marked external would be one). */
function importsLeftOut(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external).map((i) => i.path),
  );
}

function packageName(input: string): string[] {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1] ? [match[1]] : [];
}
