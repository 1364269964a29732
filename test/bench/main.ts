/**
 * `npm run bench [-- --quick] [--rounds N] [--only throughput,latency] [--source] [--no-pin] [--cpu-prof] [--heap-snapshot]`
 *
 * The SDK runs as built (`dist/`, compiled first); `--source` runs its TypeScript through tsx.
 * The SDK against the raw-protocol baseline, side by side; see test/bench/README.md for what each
 * scenario measures and each target checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BenchConfig,
  FULL,
  QUICK,
  ROOT,
  runBench,
  SCENARIOS,
  type ScenarioName,
} from './harness.js';
import { formatMachine, formatRatios, formatTable } from './report.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'heap-snapshot': { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const artifacts = join(ROOT, 'test', 'artifacts');
const base = values.quick ? QUICK : FULL;
const only = values.only?.split(',').map((s) => s.trim());
for (const name of only ?? []) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`--only: unknown scenario ${name}; pick from ${SCENARIOS.join(', ')}`);
  }
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const config: BenchConfig = {
  ...base,
  sdk: values.source ? 'source' : 'dist',
  pin: !values['no-pin'],
  rounds: values.rounds ? Number(values.rounds) : base.rounds,
  scenarios: (only as ScenarioName[] | undefined) ?? SCENARIOS,
  ...(values['cpu-prof'] && { cpuProfDir: join(artifacts, 'profiles', stamp) }),
  ...(values['heap-snapshot'] && { heapSnapshotDir: join(artifacts, 'profiles', stamp) }),
  log: (line) => console.log(`  ${line}`),
};

console.log(
  `bench: ${config.scenarios.join(', ')}; ${config.rounds} rounds, SDK (${config.sdk === 'dist' ? 'dist/, as built' : 'source, through tsx'}) and raw alternately${values.quick ? ' (--quick)' : ''}`,
);
const result = await runBench(config);
console.log(`\n${formatTable(result)}\n`);
console.log(formatRatios(result));
console.log(`\nmachine: ${formatMachine(result)}`);
mkdirSync(artifacts, { recursive: true });
const out = values.out ?? join(artifacts, `bench-${stamp}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(artifacts, 'bench-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`figures: ${out} (${(result.durationMs / 1000).toFixed(1)} s)`);
if (config.cpuProfDir) console.log(`CPU profile of the SDK neuron: ${config.cpuProfDir}`);
if (config.heapSnapshotDir) console.log(`heap snapshots: ${config.heapSnapshotDir}`);
