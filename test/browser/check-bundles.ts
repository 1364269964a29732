/**
 * `npm run build`'s last step (`tsx test/browser/check-bundles.ts`): bundles the root, `/ipc` and
 * `/machines` of the package as built (dist/) for the browser, fails if any of them imports
 * `node:*` or a Node-only package, and prints each bundle's size, minified and gzipped (the
 * README's "Browser and Electron" table).
 */
import { BROWSER_ENTRIES, bundleEntry, type EntryBundle } from './bundle.js';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

const bundles: EntryBundle[] = [];
let failed = false;
for (const entry of BROWSER_ENTRIES) {
  try {
    bundles.push(await bundleEntry(entry, { from: 'dist' }));
  } catch (err) {
    failed = true;
    const errors = (err as { errors?: Array<{ text: string }> }).errors;
    console.error(`✗ ${entry} does not bundle for the browser:`);
    for (const line of errors?.map((e) => e.text) ?? [String(err)]) console.error(`  ${line}`);
  }
}
if (failed) process.exit(1);

console.log('browser bundles (esbuild --platform=browser, minified; gzip level 6):');
console.log('| entry | minified | gzipped | packages bundled |');
console.log('|---|---:|---:|---|');
for (const b of bundles) {
  console.log(
    `| \`${b.entry}\` | ${kib(b.bytes)} | ${kib(b.gzipBytes)} | ${b.packages.join(', ') || '—'} |`,
  );
}
