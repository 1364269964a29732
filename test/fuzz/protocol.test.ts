/**
 * Property-based fuzzing of the protocol: random gateway behaviour against a real `Neuron` over
 * loopback. `FUZZ_RUNS` raises the run count (default 200); `FUZZ_SEED` (and `FUZZ_PATH`, from a
 * failure report) replays a run.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { runScenario, scenario, violations } from './scenario.js';
import { fuzzSettings } from './settings.js';

const settings = fuzzSettings(200);
const { numRuns, seed } = settings;

it(`keeps every protocol invariant over ${numRuns} random runs`, async () => {
  console.log(`fuzz: seed ${seed}, ${numRuns} runs (replay: FUZZ_SEED=${seed} npm run test:fuzz)`);
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const broken = violations(await runScenario(s));
      expect(broken, 'invariants').toEqual([]);
    }),
    { ...settings, endOnFailure: false },
  );
  console.log(`fuzz: ${numRuns} runs in ${Date.now() - started} ms`);
}, 600_000);
