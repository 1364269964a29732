import type { TaskRecord, TaskSpec } from '../../dev-gateway/index.js';

/** How a demo task should end, in the words of the summary table. */
export type Ending = 'acked' | 'schema-mismatch' | 'terminal' | 'retryable' | 'cancelled';

export interface DemoTask {
  /** What the task shows. */
  label: string;
  spec: TaskSpec;
  expected: Ending;
  /** Ask the gateway to cancel it once it has reported this much progress. */
  cancelAtPercent?: number;
}

export const scenario: DemoTask[] = [
  {
    label: 'success',
    spec: { capabilityType: 'demo/echo', input: { text: 'hello' } },
    expected: 'acked',
  },
  {
    label: 'long task with progress',
    spec: { capabilityType: 'demo/steps', input: { n: 20, stepMs: 100 } },
    expected: 'acked',
  },
  {
    label: 'schema mismatch',
    spec: { capabilityType: 'demo/echo', input: { text: 42 } },
    expected: 'schema-mismatch',
  },
  {
    label: 'terminal failure',
    spec: { capabilityType: 'demo/divide', input: { a: 1, b: 0 } },
    expected: 'terminal',
  },
  {
    label: 'retryable failure',
    spec: { capabilityType: 'demo/flaky', input: null, maxAttempts: 2 },
    expected: 'retryable',
  },
  {
    label: 'cancel',
    spec: { capabilityType: 'demo/steps', input: { n: 50, stepMs: 100 } },
    expected: 'cancelled',
    cancelAtPercent: 30,
  },
];

/** How a settled task ended, as an `Ending`; undefined while it runs. */
export function endingOf(task: TaskRecord): Ending | undefined {
  if (task.state === 'acked') return 'acked';
  if (task.state === 'cancelled') return 'cancelled';
  if (task.state !== 'failed') return undefined;
  const outcome = task.outcome;
  if (outcome?.type === 'nack' && outcome.kind !== 'cancelled') return outcome.kind;
  return 'retryable';
}
