/**
 * A machine definition → Mermaid `stateDiagram-v2`.
 *
 * `toStateDiagram` is the faithful source (`visualizations/<machine>.mmd`): every state, nested as
 * in the machine (parallel regions separated by `--`), every transition as one arrow labelled with
 * its event and guard. `toRenderableStateDiagram` is the same graph adapted to what
 * beautiful-mermaid lays out correctly (see `adapt.ts`); the SVGs are drawn from it.
 */
import type { AnyStateMachine } from 'xstate';
import { adaptForLayout } from './adapt.js';
import {
  type Arrow,
  type Box,
  BoxIndex,
  type MachineGraph,
  machineGraph,
} from './machine-graph.js';

export function toStateDiagram(machine: AnyStateMachine): string {
  return write(machineGraph(machine), { regions: true, scoped: true });
}

/** The diagram the SVG is rendered from: composites flattened where needed, parallel arrows merged. */
export function toRenderableStateDiagram(machine: AnyStateMachine): string {
  return write(adaptForLayout(machineGraph(machine)), { regions: false, scoped: false });
}

interface WriteOptions {
  /** Separate parallel regions with `--` (beautiful-mermaid ignores the line; Mermaid needs it). */
  regions: boolean;
  /** Write each arrow inside the lowest composite holding both ends (else all at the top level). */
  scoped: boolean;
}

function write(graph: MachineGraph, options: WriteOptions): string {
  const index = new BoxIndex(graph.boxes);
  const scoped = new Map<string | undefined, Arrow[]>();
  for (const arrow of graph.arrows) {
    const scope = options.scoped ? arrowScope(arrow, index) : undefined;
    scoped.set(scope, [...(scoped.get(scope) ?? []), arrow]);
  }
  const lines = ['stateDiagram-v2'];
  writeBlock(lines, 1, graph.initial, graph.boxes, scoped.get(undefined) ?? [], scoped, options);
  return `${lines.join('\n')}\n`;
}

function writeBlock(
  lines: string[],
  depth: number,
  initial: string | undefined,
  boxes: Box[],
  arrows: Arrow[],
  scoped: ReadonlyMap<string | undefined, Arrow[]>,
  options: WriteOptions,
): void {
  const pad = '  '.repeat(depth);
  // Declarations first: beautiful-mermaid labels a state by the first line that mentions it.
  for (const box of boxes) writeBox(lines, depth, box, scoped, options);
  if (initial !== undefined) lines.push(`${pad}[*] --> ${initial}`);
  for (const box of boxes) if (box.final) lines.push(`${pad}${box.id} --> [*]`);
  for (const arrow of arrows) lines.push(`${pad}${arrow.from} --> ${arrow.to} : ${arrow.label}`);
}

function writeBox(
  lines: string[],
  depth: number,
  box: Box,
  scoped: ReadonlyMap<string | undefined, Arrow[]>,
  options: WriteOptions,
): void {
  const pad = '  '.repeat(depth);
  // `state "label" as id` (no `-` or `.` in ids); `{` right after the id, so no parser keeps a
  // trailing space as part of it.
  const head = `${pad}state "${box.label.replaceAll('"', "'")}" as ${box.id}`;
  if (box.kind === 'leaf') {
    lines.push(head);
    return;
  }
  lines.push(`${head}{`);
  if (box.kind === 'parallel') {
    box.children.forEach((region, i) => {
      if (i > 0 && options.regions) lines.push(`${pad}  --`);
      writeBox(lines, depth + 1, region, scoped, options);
    });
  } else {
    const arrows = scoped.get(box.id) ?? [];
    writeBlock(lines, depth + 1, box.initial, box.children, arrows, scoped, options);
  }
  lines.push(`${pad}}`);
}

/** The lowest compound box holding both ends (a parallel box's block holds only its regions). */
function arrowScope(arrow: Arrow, index: BoxIndex): string | undefined {
  let scope = index.container(arrow);
  while (scope && scope.kind === 'parallel') scope = index.parent(scope.id);
  return scope?.id;
}
