/**
 * A machine definition as boxes and arrows: the drawing-neutral model both state diagram writers
 * start from. Everything comes from walking `machine.root` — nothing here knows our machines.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface Box {
  /** A Mermaid-safe id, unique in the diagram. */
  id: string;
  /** What the reader sees: the state's key. */
  label: string;
  kind: 'leaf' | 'compound' | 'parallel';
  final: boolean;
  children: Box[];
  /** The id of the child entered first (compound states only). */
  initial: string | undefined;
  /** The XState node id (`connection.open.session`), or undefined for the "any state" box. */
  nodeId: string | undefined;
}

export interface Arrow {
  from: string;
  to: string;
  label: string;
}

export interface MachineGraph {
  name: string;
  /** The root's children, plus an "(any state)" box when the root itself handles events. */
  boxes: Box[];
  /** The root's initial child. */
  initial: string | undefined;
  arrows: Arrow[];
}

/** The box that stands for "whichever state the machine is in": the root's own transitions. */
const ANY_STATE_LABEL = '(any state)';

/** Words Mermaid's state diagram grammar reserves; never used bare as an id. */
const RESERVED = new Set([
  'as',
  'class',
  'classdef',
  'click',
  'default',
  'direction',
  'end',
  'hide',
  'note',
  'scale',
  'state',
  'style',
]);

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root;
  const nodes = descendants(root);
  const ids = assignIds(root, nodes);
  const idOf = (node: AnyStateNode): string => {
    const id = ids.get(node);
    if (id === undefined) throw new Error(`state ${node.id} is not part of ${root.id}`);
    return id;
  };

  const toBox = (node: AnyStateNode): Box => ({
    id: idOf(node),
    label: node.key,
    kind: node.type === 'parallel' ? 'parallel' : node.type === 'compound' ? 'compound' : 'leaf',
    final: node.type === 'final',
    children: Object.values(node.states).map(toBox),
    initial: node.type === 'compound' ? initialOf(node, idOf) : undefined,
    nodeId: node.id,
  });

  const boxes = Object.values(root.states).map(toBox);
  const arrows: Arrow[] = [];
  const anyId = uniqueId('any_state', new Set(ids.values()));
  for (const node of [root, ...nodes]) {
    const from = node === root ? anyId : idOf(node);
    for (const transition of transitionsOf(node)) {
      const label = transitionLabel(node, transition);
      const targets = transition.target ?? [];
      if (targets.length === 0) arrows.push({ from, to: from, label: `${label} (internal)` });
      for (const target of targets) arrows.push({ from, to: idOf(target), label });
    }
  }
  if (arrows.some((a) => a.from === anyId)) {
    boxes.unshift({
      id: anyId,
      label: ANY_STATE_LABEL,
      kind: 'leaf',
      final: false,
      children: [],
      initial: undefined,
      nodeId: undefined,
    });
  }
  return { name: root.id, boxes, initial: initialOf(root, idOf), arrows };
}

/** Every transition a state node defines, in definition order: events, delays, results, `always`. */
function transitionsOf(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

/**
 * `event [guard]`, with XState's internal event names made readable: `after <delay>`,
 * `done · <actor src>`, `error · <actor src>`, `always`; `(reenter)` when the transition exits and
 * re-enters its source. Mermaid ends a label at `:`, `;` or a newline, so none appears in one.
 */
function transitionLabel(node: AnyStateNode, transition: AnyTransitionDefinition): string {
  let label = eventLabel(node, String(transition.eventType));
  const guard = guardName(transition.guard);
  if (guard !== undefined) label += ` [${guard}]`;
  if (transition.reenter) label += ' (reenter)';
  return label.replace(/[:;#\n\r]/g, ' ').trim();
}

/** The readable name of the event that takes a transition of `node`. */
function eventLabel(node: AnyStateNode, eventType: string): string {
  if (eventType === '') return 'always';
  const after = `xstate.after.`;
  if (eventType.startsWith(after) && eventType.endsWith(`.${node.id}`)) {
    const delay = eventType.slice(after.length, -(node.id.length + 1));
    return /^\d+$/.test(delay) ? `after ${delay}ms` : `after ${delay}`;
  }
  for (const [prefix, word] of [
    ['xstate.done.actor.', 'done'],
    ['xstate.error.actor.', 'error'],
  ] as const) {
    if (!eventType.startsWith(prefix)) continue;
    const actorId = eventType.slice(prefix.length);
    const invoke = node.invoke.find((i) => i.id === actorId);
    const src =
      invoke === undefined ? actorId : typeof invoke.src === 'string' ? invoke.src : invoke.id;
    return `${word} · ${src}`;
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'guard';
}

function initialOf(node: AnyStateNode, idOf: (n: AnyStateNode) => string): string | undefined {
  const target = node.initial?.target?.[0];
  return target === undefined ? undefined : idOf(target);
}

/** Every state below `node`, depth first, in definition order. */
function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}

/**
 * A state's id is its key when that key is unique in the machine (`auth-refresh` → `auth_refresh`),
 * else its path (`acking_posting`): Mermaid ids are global and allow no `-` or `.`.
 */
function assignIds(root: AnyStateNode, nodes: AnyStateNode[]): Map<AnyStateNode, string> {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(safe(node.key), (counts.get(safe(node.key)) ?? 0) + 1);
  const ids = new Map<AnyStateNode, string>();
  const taken = new Set<string>();
  for (const node of nodes) {
    const key = safe(node.key);
    const base =
      counts.get(key) === 1 && !RESERVED.has(key.toLowerCase())
        ? key
        : safe(node.path.join('_') || root.id);
    const id = uniqueId(base, taken);
    taken.add(id);
    ids.set(node, id);
  }
  return ids;
}

function safe(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(id) ? id : `s_${id}`;
}

function uniqueId(base: string, taken: ReadonlySet<string>): string {
  let id = RESERVED.has(base.toLowerCase()) ? `s_${base}` : base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  return id;
}

/** Every box of a graph by id, with its parent: what both diagram writers ask of the nesting. */
export class BoxIndex {
  private readonly boxes = new Map<string, Box>();
  private readonly parents = new Map<string, Box | undefined>();

  constructor(top: Box[]) {
    const visit = (list: Box[], parent: Box | undefined) => {
      for (const box of list) {
        this.boxes.set(box.id, box);
        this.parents.set(box.id, parent);
        visit(box.children, box);
      }
    };
    visit(top, undefined);
  }

  box(id: string): Box {
    const box = this.boxes.get(id);
    if (!box) throw new Error(`no state ${id} in the diagram`);
    return box;
  }

  parent(id: string): Box | undefined {
    return this.parents.get(id);
  }

  ancestors(id: string): Box[] {
    const chain: Box[] = [];
    for (let box = this.parents.get(id); box; box = this.parents.get(box.id)) chain.push(box);
    return chain;
  }

  /** The lowest composite holding both ends of `arrow` (undefined: the top level). */
  container(arrow: Arrow): Box | undefined {
    const theirs = new Set(this.ancestors(arrow.to));
    return this.ancestors(arrow.from).find((box) => theirs.has(box));
  }
}
