/**
 * Per-capability concurrency, as plain data the neuron machine keeps in its context:
 * at most `limit` handlers of a capability run at once; the rest wait in FIFO order.
 */

export interface CapabilitySlots {
  limit: number;
  running: number;
  /** leaseIds waiting for a slot, oldest first. */
  queue: string[];
  /** False while the gateway does not list it as effective, or after `capability-revoked`. */
  served: boolean;
}

export type SlotTable = Record<string, CapabilitySlots>;

/**
 * The slots of `type`, if this table has them. Own keys only: a capability type named by the
 * gateway (`constructor`, `__proto__`…) must never find `Object.prototype`'s members.
 */
export function slotsOf(table: SlotTable, type: string): CapabilitySlots | undefined {
  return Object.hasOwn(table, type) ? table[type] : undefined;
}

/** Take as many queued leases as there are free slots. */
export function admit(table: SlotTable, type: string): { table: SlotTable; started: string[] } {
  const slots = slotsOf(table, type);
  if (!slots) return { table, started: [] };
  const free = Math.max(0, slots.limit - slots.running);
  if (free === 0 || slots.queue.length === 0) return { table, started: [] };
  const started = slots.queue.slice(0, free);
  return {
    table: {
      ...table,
      [type]: { ...slots, running: slots.running + started.length, queue: slots.queue.slice(free) },
    },
    started,
  };
}

export function enqueue(table: SlotTable, type: string, leaseId: string): SlotTable {
  const slots = slotsOf(table, type);
  if (!slots) return table;
  return { ...table, [type]: { ...slots, queue: [...slots.queue, leaseId] } };
}

export function release(table: SlotTable, type: string): SlotTable {
  const slots = slotsOf(table, type);
  if (!slots) return table;
  return { ...table, [type]: { ...slots, running: Math.max(0, slots.running - 1) } };
}

export function dequeue(table: SlotTable, type: string, leaseId: string): SlotTable {
  const slots = slotsOf(table, type);
  if (!slots?.queue.includes(leaseId)) return table;
  return { ...table, [type]: { ...slots, queue: slots.queue.filter((id) => id !== leaseId) } };
}

export function setLimit(table: SlotTable, type: string, limit: number): SlotTable {
  const slots = slotsOf(table, type);
  if (!slots) return table;
  return { ...table, [type]: { ...slots, limit } };
}

export function setServed(table: SlotTable, type: string, served: boolean): SlotTable {
  const slots = slotsOf(table, type);
  if (!slots || slots.served === served) return table;
  return { ...table, [type]: { ...slots, served } };
}
