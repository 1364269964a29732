/**
 * The demo neuron's capabilities: one for each way a task can end. Plain JSON Schemas, so the
 * demo runs without zod installed.
 */
import type { CapabilityRegistration } from '../../capability/index.js';
import type { Handler } from '../../neuron/context.js';

/** Resolves after `ms`, or rejects with the signal's reason as soon as it fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface DemoCapability {
  registration: CapabilityRegistration;
  handler: Handler;
}

const echo: DemoCapability = {
  registration: {
    type: 'demo/echo',
    scope: 'any',
    concurrency: 4,
    description: 'Echoes its text back',
    inputSchema: {
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: { echoed: { type: 'string' } },
      required: ['echoed'],
    },
  },
  handler: (input) => ({ echoed: (input as { text: string }).text }),
};

/** Steps through its items with a pause each, reporting progress: long enough to watch and cancel. */
const steps: DemoCapability = {
  registration: {
    type: 'demo/steps',
    scope: 'any',
    concurrency: 2,
    description: 'Works through n steps of stepMs each, with progress',
    inputSchema: {
      type: 'object',
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 100 },
        stepMs: { type: 'integer', minimum: 0, maximum: 1_000 },
      },
      required: ['n', 'stepMs'],
    },
  },
  handler: async (input, ctx) => {
    const { n, stepMs } = input as { n: number; stepMs: number };
    for (let i = 1; i <= n; i++) {
      await pause(stepMs, ctx.signal);
      ctx.progress({ percent: Math.round((i / n) * 100), message: `step ${i}/${n}` });
    }
    return { steps: n };
  },
};

const divide: DemoCapability = {
  registration: { type: 'demo/divide', scope: 'any', concurrency: 2 },
  handler: (input, ctx) => {
    const { a, b } = input as { a: number; b: number };
    if (b === 0) ctx.fail('cannot divide by zero', { code: 'DIVIDE_BY_ZERO' });
    return { quotient: a / b };
  },
};

const flaky: DemoCapability = {
  registration: { type: 'demo/flaky', scope: 'any', concurrency: 2 },
  handler: () => {
    throw new Error('upstream unavailable (503)');
  },
};

export const demoCapabilities: DemoCapability[] = [echo, steps, divide, flaky];
