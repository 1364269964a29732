/**
 * The run count and seed of a property test: `FUZZ_RUNS` overrides the count, `FUZZ_SEED` (and
 * `FUZZ_PATH`, from a failure report) replays a run.
 */
export function fuzzSettings(defaultRuns: number): {
  numRuns: number;
  seed: number;
  path?: string;
} {
  const seed =
    process.env.FUZZ_SEED === undefined
      ? Date.now() ^ (Math.random() * 0x7fffffff)
      : Number(process.env.FUZZ_SEED);
  const path = process.env.FUZZ_PATH;
  return { numRuns: Number(process.env.FUZZ_RUNS ?? defaultRuns), seed, ...(path ? { path } : {}) };
}
