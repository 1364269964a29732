/**
 * The lease pool's slot decisions, walked: `slotTransition` from every count a capability of
 * limit 1–3 can reach (up to 3 waiting), every event possible there. Each step must keep the
 * pool's promises, and together the steps must take every rule.
 */
import { describe, expect, it } from 'vitest';
import { SLOT_RULES } from '../../machines/slots.js';
import { walkSlots } from '../../src/visualize/slots-diagram.js';

const edges = walkSlots();

describe('lease slots, every rule', () => {
  it.each(edges.map((e) => [`${JSON.stringify(e.from)} + ${JSON.stringify(e.event)}`, e]))(
    '%s',
    (_name, { from, event, step }) => {
      const { counts, start } = step;
      // Never a negative count, and a lease starts only into a free slot.
      expect(counts.running).toBeGreaterThanOrEqual(0);
      expect(counts.queued).toBeGreaterThanOrEqual(0);
      if (start > 0) expect(counts.running).toBeLessThanOrEqual(counts.limit);
      // Nobody waits while a slot is free.
      if (counts.queued > 0) expect(counts.running).toBeGreaterThanOrEqual(counts.limit);
      // Leases are conserved: what started left the queue.
      const joined = event.type === 'queued' ? 1 : 0;
      const left = event.type === 'withdrawn' ? 1 : 0;
      const released = event.type === 'released' ? 1 : 0;
      expect(counts.queued).toBe(from.queued + joined - left - start);
      expect(counts.running).toBe(from.running - released + start);
      expect(counts.limit).toBe(event.type === 'limit' ? event.limit : from.limit);
    },
  );

  it('takes every rule', () => {
    const taken = new Set(edges.map((e) => e.step.rule));
    const missing = SLOT_RULES.filter((rule) => !taken.has(rule));
    const line = `lease slots: transitions covered ${SLOT_RULES.length - missing.length}/${SLOT_RULES.length}`;
    console.log(line);
    expect(missing, line).toEqual([]);
  });
});
