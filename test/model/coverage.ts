import { expect } from 'vitest';
import type { Edge } from './graph.js';
import { taken } from './rig.js';

/**
 * Prints `<machine>: transitions covered N/M` from the edges the live actors took (their
 * `@xstate.microstep` inspection events) and fails, naming them, when any was never taken.
 */
export function reportCoverage(machine: string, edges: Edge[]): void {
  const seen = taken.get(machine) ?? new Set<string>();
  const missing = edges.filter((e) => !seen.has(e.key)).map((e) => e.key);
  const line = `${machine}: transitions covered ${edges.length - missing.length}/${edges.length}`;
  console.log(line);
  expect(missing, line).toEqual([]);
}
