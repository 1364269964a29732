/**
 * `npm run soak`: 100 000 leases through one neuron (SOAK_LEASES to change it), with progress,
 * cancels and reconnects mixed in. Prints the checkpoints; exits 1 when heap, RSS, handles or
 * listeners grow 10 % or more after warm-up, or when a task is left unsettled.
 */
import { runSoak } from './run-soak.js';

const leases = Number(process.env.SOAK_LEASES ?? 100_000);
const result = await runSoak({ leases, checkpoints: 10, log: (line) => console.log(line) });
const { checkpoints: _c, ...summary } = result;
console.log(JSON.stringify(summary, null, 2));
const { heapPct, rssPct, handlesPct, listenersPct } = result.growth;
const ok =
  heapPct < 10 &&
  rssPct < 10 &&
  handlesPct < 10 &&
  listenersPct < 10 &&
  result.books.unsettled === 0;
console.log(ok ? 'soak: OK' : 'soak: FAILED');
process.exit(ok ? 0 : 1);
