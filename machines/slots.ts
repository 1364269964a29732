/**
 * Per-capability concurrency, the lease pool's slot and queue decisions as a pure transition
 * function: at most `limit` handlers of a capability run at once; the rest wait in FIFO order.
 * It counts; which leases wait is the pool's FIFO (`LeaseQueue`). Every branch it can take is a
 * named `SlotRule`, so the model test can walk them all (`test/model/slots.test.ts`) and the
 * diagram lists them.
 */

export interface SlotCounts {
  limit: number;
  /** Leases whose handler holds a slot. */
  running: number;
  /** Leases waiting for a slot. */
  queued: number;
}

export type SlotEvent =
  /** A validated lease wants a slot. */
  | { type: 'queued' }
  /** A handler ended: its slot is free. */
  | { type: 'released' }
  /** A queued lease left without running (cancelled, revoked, lost, expired, shutdown). */
  | { type: 'withdrawn' }
  /** `updateCapability()` changed the limit. */
  | { type: 'limit'; limit: number };

/** Which branch a transition took. */
export const SLOT_RULES = [
  'queued: a slot is free, it starts',
  'queued: no slot is free, it waits',
  'released: the next in line starts',
  'released: nobody waits, the slot stays free',
  'released: still at the limit (it was lowered), nobody starts',
  'withdrawn: it leaves the line',
  'limit: raised with leases waiting, they start',
  'limit: nobody can start',
] as const;

export type SlotRule = (typeof SLOT_RULES)[number];

export interface SlotStep {
  counts: SlotCounts;
  /** How many of the queue's oldest leases start now. */
  start: number;
  rule: SlotRule;
}

/** Fill free slots from the queue. */
function admit(counts: SlotCounts): number {
  return Math.min(Math.max(0, counts.limit - counts.running), counts.queued);
}

export function slotTransition(counts: SlotCounts, event: SlotEvent): SlotStep {
  switch (event.type) {
    case 'queued': {
      // It joins the line first, so a lease never overtakes one already waiting.
      const after = { ...counts, queued: counts.queued + 1 };
      const start = admit(after);
      return take(after, start, start > 0 ? SLOT_RULES[0] : SLOT_RULES[1]);
    }
    case 'released': {
      const after = { ...counts, running: Math.max(0, counts.running - 1) };
      const start = admit(after);
      const rule = start > 0 ? SLOT_RULES[2] : after.queued === 0 ? SLOT_RULES[3] : SLOT_RULES[4];
      return take(after, start, rule);
    }
    case 'withdrawn':
      return {
        counts: { ...counts, queued: Math.max(0, counts.queued - 1) },
        start: 0,
        rule: SLOT_RULES[5],
      };
    case 'limit': {
      const after = { ...counts, limit: event.limit };
      const start = admit(after);
      return take(after, start, start > 0 ? SLOT_RULES[6] : SLOT_RULES[7]);
    }
  }
}

function take(counts: SlotCounts, start: number, rule: SlotRule): SlotStep {
  return {
    counts: { ...counts, running: counts.running + start, queued: counts.queued - start },
    start,
    rule,
  };
}

/**
 * The waiting leases of one capability, oldest first. A lease that leaves the line early is only
 * marked (`waiting` false, by the pool) and skipped when reached: taking and leaving are O(1),
 * so a flood of thousands queued costs each lease what one queued alone costs.
 */
export class LeaseQueue<T extends { waiting: boolean }> {
  #items: T[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest lease still waiting. */
  shift(): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head++] as T;
      if (item.waiting) {
        this.#compact();
        return item;
      }
    }
    this.#items = [];
    this.#head = 0;
    return undefined;
  }

  #compact(): void {
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
