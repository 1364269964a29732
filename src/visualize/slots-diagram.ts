/**
 * The lease pool's slot decisions (`machines/slots.ts`) as a state diagram: `slotTransition`
 * walked over every count a capability of limit 1–3 can reach, each count shown as the phase it
 * is in, each edge labelled with the event and the rule it took. The model test walks the same
 * graph (`walkSlots`) to take every rule.
 */
import {
  type SlotCounts,
  type SlotEvent,
  type SlotRule,
  type SlotStep,
  slotTransition,
} from '../../machines/slots.js';

export type SlotPhase = 'idle' | 'free' | 'full' | 'waiting';

/** Idle: nothing runs. Free: a slot is free. Full: none is, nobody waits. Waiting: leases wait. */
export function phaseOf(counts: SlotCounts): SlotPhase {
  if (counts.queued > 0) return 'waiting';
  if (counts.running === 0) return 'idle';
  return counts.running < counts.limit ? 'free' : 'full';
}

export interface SlotEdge {
  from: SlotCounts;
  event: SlotEvent;
  step: SlotStep;
}

const MAX_LIMIT = 3;
const MAX_QUEUED = 3;

/** What can happen to a capability in `counts` (bounded, so the walk ends). */
function eventsIn(counts: SlotCounts): SlotEvent[] {
  const events: SlotEvent[] = [];
  if (counts.queued < MAX_QUEUED) events.push({ type: 'queued' });
  if (counts.running > 0) events.push({ type: 'released' });
  if (counts.queued > 0) events.push({ type: 'withdrawn' });
  for (let limit = 1; limit <= MAX_LIMIT; limit++) {
    if (limit !== counts.limit) events.push({ type: 'limit', limit });
  }
  return events;
}

/** Every transition from every count reachable from an idle capability of limit 1. */
export function walkSlots(): SlotEdge[] {
  const key = (c: SlotCounts) => `${c.limit}/${c.running}/${c.queued}`;
  const start: SlotCounts = { limit: 1, running: 0, queued: 0 };
  const seen = new Set([key(start)]);
  const todo = [start];
  const edges: SlotEdge[] = [];
  for (let counts = todo.shift(); counts; counts = todo.shift()) {
    for (const event of eventsIn(counts)) {
      const step = slotTransition(counts, event);
      edges.push({ from: counts, event, step });
      if (seen.has(key(step.counts))) continue;
      seen.add(key(step.counts));
      todo.push(step.counts);
    }
  }
  return edges;
}

/** The walk as Mermaid: one edge per (phase, event, rule, phase). */
export function toSlotsDiagram(): string {
  const lines = new Set<string>();
  for (const { from, event, step } of walkSlots()) {
    const label = `${event.type} · ${ruleText(step.rule)}`;
    lines.add(`  ${phaseOf(from)} --> ${phaseOf(step.counts)} : ${label}`);
  }
  return ['stateDiagram-v2', '  [*] --> idle', ...[...lines].sort()].join('\n').concat('\n');
}

/** The rule without its event prefix (the label already names the event). */
function ruleText(rule: SlotRule): string {
  return rule.slice(rule.indexOf(':') + 2);
}
