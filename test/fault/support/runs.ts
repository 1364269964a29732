/** A handler the test drives: each run waits for `release()` (or its signal, unless ignored). */
import type { Handler, HandlerContext } from '@holokai/neuron-sdk';

export interface Run {
  leaseId: string;
  taskId: string;
  input: unknown;
  ctx: HandlerContext;
  release(value?: unknown): void;
  fail(error: unknown): void;
}

export function controlled(options: { rejectOnAbort?: boolean } = {}) {
  const runs: Run[] = [];
  const waiters: Array<() => void> = [];
  const handler: Handler = (input, ctx) =>
    new Promise((resolve, reject) => {
      runs.push({
        leaseId: ctx.leaseId,
        taskId: ctx.task.taskId,
        input,
        ctx,
        release: (value) => resolve(value === undefined ? input : value),
        fail: reject,
      });
      if (options.rejectOnAbort) {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      }
      for (const wake of waiters.splice(0)) wake();
    });
  return {
    handler,
    runs,
    /** Resolves with the first run of `taskId` (or the `nth` one). */
    async started(taskId: string, nth = 1, timeoutMs = 10_000): Promise<Run> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = runs.filter((r) => r.taskId === taskId)[nth - 1];
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`run ${nth} of ${taskId} never started`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
