/**
 * A long task done right: it reports progress after each item, and stops promptly when the
 * lease's signal fires (a cancel, a revoke, the neuron shutting down) instead of running on.
 *
 * Each item is hashed with SHA-256 after a delay standing in for slow work. The delay is
 * abort-aware: it rejects the moment `ctx.signal` fires, so a cancelled task is nacked
 * `cancelled` at once rather than after the remaining items.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { defineCapability, type HandlerContext, type InferInput } from '@holokai/neuron-sdk';
import { z } from 'zod';

export const hashItems = defineCapability({
  type: 'examples/progress-cancel',
  description: 'Hashes each item (SHA-256, hex), reporting progress after each one.',
  input: z.object({
    items: z.array(z.string()).min(1).max(10_000),
    /** Simulated work per item. */
    delayMs: z.number().int().min(0).max(60_000).default(250),
  }),
  output: z.object({
    hashes: z.array(z.object({ item: z.string(), sha256: z.string() })),
  }),
  concurrency: 2,
});

export type HashInput = InferInput<typeof hashItems>;

export async function hashHandler({ items, delayMs }: HashInput, ctx: HandlerContext) {
  const hashes: Array<{ item: string; sha256: string }> = [];
  for (const [i, item] of items.entries()) {
    // Rejects as soon as the signal fires (with an AbortError), even mid-wait.
    await delay(delayMs, undefined, { signal: ctx.signal });
    hashes.push({ item, sha256: createHash('sha256').update(item).digest('hex') });
    ctx.progress({
      percent: Math.round(((i + 1) / items.length) * 100),
      message: `hashed ${i + 1}/${items.length}`,
    });
  }
  return { hashes };
}
