/**
 * `npm run bench:telemetry`: what the OpenTelemetry instrumentation costs.
 *
 * 1. With no OpenTelemetry SDK (the API's no-ops): the instrumentation's own calls for one lease
 *    (span, validation, handler, one outcome POST, settlement) timed alone, against the SDK's whole
 *    in-process cost per lease measured in the same run. It must be within noise.
 * 2. With an SDK registered (every span sampled, batched; metrics collected each second): the
 *    in-process throughput against the same neuron without one, rounds alternated.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { NeuronTelemetry } from '../../src/telemetry/telemetry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const LEASES = Number(process.env.LEASES ?? 20_000);

function micro(withSdk: boolean): number {
  const args = [
    '--import',
    'tsx',
    ...(withSdk ? ['--import', './test/bench/otel-sdk.ts'] : []),
    'test/bench/micro.ts',
    String(LEASES),
    '64',
  ];
  const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const match = / (\d+) leases\/s in-process/.exec(out);
  if (!match) throw new Error(`no figure in: ${out}`);
  return Number(match[1]);
}

/** ns per lease of the instrumentation's calls alone, no SDK registered. */
async function instrumentationAlone(iterations: number): Promise<number> {
  const telemetry = new NeuronTelemetry('bench');
  telemetry.start(() => []);
  const run = async (): Promise<void> => {
    for (let i = 0; i < iterations; i++) {
      const leaseId = `l-${i}`;
      telemetry.received({ leaseId, taskId: `t-${i}`, capabilityType: 'bench/noop', attempt: 1 });
      telemetry.validate(leaseId, () => ({ ok: true, value: i }));
      const handle = telemetry.handleStarted(leaseId);
      await Promise.resolve().then(() => telemetry.inHandle(handle, () => i));
      telemetry.handleEnded(handle, 'bench/noop', 0);
      telemetry.postTry(leaseId, 'ack', 'bench/noop')();
      telemetry.settled({
        leaseId,
        capabilityType: 'bench/noop',
        settlement: 'delivered',
        outcome: { kind: 'ack', output: i },
      });
    }
  };
  await run(); // warm-up
  const t0 = performance.now();
  await run();
  telemetry.stop();
  return ((performance.now() - t0) * 1e6) / iterations;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const aloneNs = await instrumentationAlone(200_000);
const without: number[] = [];
const withSdk: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  without.push(micro(false));
  withSdk.push(micro(true));
}
const perLeaseNs = 1e9 / median(without);
console.log(
  `machine: ${process.version}, ${LEASES} leases × ${ROUNDS} rounds, in-process, concurrency 64`,
);
console.log(
  `no OpenTelemetry SDK: ${median(without)} leases/s (${(perLeaseNs / 1000).toFixed(1)} µs per lease)`,
);
console.log(`  instrumentation alone: ${(aloneNs / 1000).toFixed(2)} µs per lease`);
console.log(`  instrumentation share ratio alone/lease: ${(aloneNs / perLeaseNs).toFixed(3)}`);
console.log(`with an OpenTelemetry SDK: ${median(withSdk)} leases/s`);
console.log(
  `  throughput ratio with/without SDK: ${(median(withSdk) / median(without)).toFixed(2)}`,
);
console.log(`rounds without: ${without.join(', ')}; with: ${withSdk.join(', ')}`);
