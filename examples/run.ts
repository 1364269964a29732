/**
 * `tsx examples/run.ts <name>` (or `npm run example -- <name>`): runs one example's `main.ts`.
 */
const EXAMPLES = ['echo', 'http-fetch', 'progress-cancel', 'web-search'] as const;

const name = process.argv[2];
if (!EXAMPLES.some((e) => e === name)) {
  const given = name === undefined ? 'no example given' : `unknown example ${JSON.stringify(name)}`;
  console.error(`${given}: run one of ${EXAMPLES.join(', ')} (npm run example -- echo)`);
  process.exit(2);
}

try {
  await import(`./${name}/main.js`);
} catch (err) {
  // A bad option (say, an http:// gateway URL that is not loopback) is one line, not a stack.
  console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
