/**
 * `npm run visualize` writes `visualizations/`; `npm run visualize -- --check` writes nothing
 * and exits 1 when a file there is stale, missing or no longer generated.
 */
import { relative } from 'node:path';
import { staleFiles, VISUALIZATIONS_DIR, writeAll } from './generate.js';

const dir = relative(process.cwd(), VISUALIZATIONS_DIR) || '.';

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`visualize: unknown argument ${unknown.join(' ')}; the only option is --check`);
    return 2;
  }
  if (args.includes('--check')) {
    const { stale, missing, unexpected } = await staleFiles();
    const problems = [
      ...stale.map((f) => `  stale       ${dir}/${f}`),
      ...missing.map((f) => `  missing     ${dir}/${f}`),
      ...unexpected.map((f) => `  not generated any more  ${dir}/${f}`),
    ];
    if (problems.length === 0) {
      console.log(`visualize: ${dir}/ is up to date`);
      return 0;
    }
    console.error(`visualize: ${dir}/ does not match the machines and scenarios:`);
    console.error(problems.join('\n'));
    console.error(
      unexpected.length > 0
        ? `Fix: npm run visualize (and delete the files no longer generated)`
        : 'Fix: npm run visualize',
    );
    return 1;
  }
  const { changed, unexpected } = await writeAll();
  console.log(
    changed.length === 0
      ? `visualize: ${dir}/ already up to date`
      : `visualize: wrote ${changed.map((f) => `${dir}/${f}`).join(', ')}`,
  );
  if (unexpected.length > 0) {
    console.warn(`visualize: no longer generated, delete: ${unexpected.join(', ')}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
