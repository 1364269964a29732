/**
 * Property test of issue 11: a gateway that sends arbitrary JSON in every frame field and
 * arbitrary answers to every POST never stops the neuron, speeds up one of its loops, or gets a
 * malformed frame. `FUZZ_RUNS` sets the run count (default 30); `FUZZ_SEED` (and `FUZZ_PATH`,
 * from a failure report) replays a run.
 */
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import {
  closeHostileGateway,
  hostileScenario,
  hostileViolations,
  runHostile,
} from './hostile-scenario.js';
import { fuzzSettings } from './settings.js';

const settings = fuzzSettings(30);
const { numRuns, seed } = settings;

afterAll(closeHostileGateway);

it(`keeps the neuron alive, its loops at their floors and its frames valid over ${numRuns} hostile runs`, async () => {
  console.log(
    `hostile fuzz: seed ${seed}, ${numRuns} runs (replay: FUZZ_SEED=${seed} npx vitest run --config test/vitest.config.ts test/fuzz/hostile.test.ts)`,
  );
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(hostileScenario, async (s) => {
      expect(hostileViolations(await runHostile(s)), 'invariants').toEqual([]);
    }),
    { ...settings, endOnFailure: true },
  );
  const ms = Date.now() - started;
  console.log(`hostile fuzz: ${numRuns} runs in ${ms} ms (${(ms / numRuns).toFixed(0)} ms a run)`);
}, 3_600_000);
