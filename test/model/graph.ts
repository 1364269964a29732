/**
 * The machines' transitions as a graph, and the plan of paths that together take each of them.
 *
 * Edges come from the machine definition itself (`toDirectedGraph` from `xstate/graph`, plus each
 * state node's `always` list), so a transition added to a machine is an edge to cover at once.
 * Paths come from `getAdjacencyMap` / `getShortestPaths`: the shortest path to every state, then
 * each event enabled there; of those, the shortest one that takes a given edge is kept.
 */
import type {
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyStateNode,
  AnyTransitionDefinition,
  EventObject,
} from 'xstate';
import { getInitialMicrosteps, getMicrosteps } from 'xstate';
import type { DirectedGraphNode } from 'xstate/graph';
import { getAdjacencyMap, getShortestPaths, toDirectedGraph } from 'xstate/graph';

/** One transition of a machine: a candidate of one event (or `always`) on one source state. */
export interface Edge {
  /** `<source state id>|<event type>|<candidate index>`, stable across `.provide()`. */
  key: string;
  source: string;
  eventType: string;
  targets: string[];
  guard: string | undefined;
}

const ALWAYS = 'always';

/** The key of a transition definition, as `@xstate.microstep` inspection events carry them. */
export function edgeKey(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  const eventType = t.eventType === '' ? ALWAYS : t.eventType;
  const list =
    eventType === ALWAYS ? (source.always ?? []) : (source.transitions.get(t.eventType) ?? []);
  const index = list.findIndex(
    (candidate) =>
      candidate === t || (candidate.guard === t.guard && sameTargets(candidate.target, t.target)),
  );
  return `${source.id}|${eventType}|${index}`;
}

function sameTargets(
  a: readonly AnyStateNode[] | undefined,
  b: readonly AnyStateNode[] | undefined,
): boolean {
  return (a ?? []).map((n) => n.id).join() === (b ?? []).map((n) => n.id).join();
}

/** Every transition of `machine`, from its definition. */
export function edgesOf(machine: AnyStateMachine): Edge[] {
  const edges = new Map<string, Edge>();
  const add = (t: AnyTransitionDefinition): void => {
    const key = edgeKey(t);
    if (edges.has(key)) return;
    const [source = '', eventType = ''] = key.split('|');
    edges.set(key, {
      key,
      source,
      eventType,
      targets: (t.target ?? []).map((n: AnyStateNode) => n.id),
      guard: typeof t.guard === 'string' ? t.guard : undefined,
    });
  };
  const walk = (node: DirectedGraphNode): void => {
    for (const edge of node.edges) add(edge.transition);
    for (const t of node.stateNode.always ?? []) add(t);
    for (const child of node.children) walk(child);
  };
  walk(toDirectedGraph(machine));
  return [...edges.values()];
}

/** One step of a planned path: the event, the state it leads to, the edges it takes. */
export interface PlanStep {
  event: EventObject;
  state: AnyMachineSnapshot;
  edges: string[];
}

export interface PlannedPath {
  /** Which of the traversal's inputs the path starts from. */
  input: string;
  /** The edges taken while the machine initialises (`always` from the initial state). */
  initEdges: string[];
  initial: AnyMachineSnapshot;
  steps: PlanStep[];
  /** The edge this path was chosen for. */
  target: string;
  name: string;
}

export interface PlanOptions {
  /** Named inputs to start from (e.g. `drain: true` and `drain: false`). */
  inputs: Record<string, unknown>;
  /** The events the environment can produce in a state, payloads included. */
  events: (state: AnyMachineSnapshot) => EventObject[];
  /** The part of a snapshot that identifies a state: never counters or timestamps. */
  serializeState: (state: AnyMachineSnapshot) => string;
}

/**
 * The edges one event takes from `state`: the enabled transitions (guards evaluated against
 * the event), then the eventless ones its microsteps pass through, chains included.
 */
export function edgesTaken(
  machine: AnyStateMachine,
  state: AnyMachineSnapshot,
  event: EventObject,
): string[] {
  const taken = (machine.getTransitionData(state, event) ?? []).map(edgeKey);
  const microsteps = getMicrosteps(machine, state, event as never).map(([s]) => s);
  return [...taken, ...alwaysBetween(microsteps)];
}

/** The `always` transitions initialisation takes from `input`. */
export function initEdgesOf(machine: AnyStateMachine, input: unknown): string[] {
  return alwaysBetween(getInitialMicrosteps(machine, input as never).map(([s]) => s));
}

/**
 * Between each microstep and the next, the eventless transition of each state left: its first
 * candidate whose targets were entered then (guards are not re-evaluated here: the microsteps
 * already did).
 */
function alwaysBetween(microsteps: AnyMachineSnapshot[]): string[] {
  const out: string[] = [];
  const nodesOf = (s: AnyMachineSnapshot): AnyStateNode[] => s._nodes as AnyStateNode[];
  microsteps.slice(0, -1).forEach((step, i) => {
    const next = microsteps[i + 1] as AnyMachineSnapshot;
    const before = new Set(nodesOf(step).map((n) => n.id));
    const after = new Set(nodesOf(next).map((n) => n.id));
    for (const node of nodesOf(step)) {
      const always: AnyTransitionDefinition[] = node.always ?? [];
      const first = always.findIndex((c) => {
        const targets: readonly AnyStateNode[] = c.target ?? [];
        return (
          targets.length > 0 &&
          targets.every((n) => after.has(n.id)) &&
          targets.some((n) => !before.has(n.id))
        );
      });
      if (first >= 0) out.push(`${node.id}|${ALWAYS}|${first}`);
    }
  });
  return out;
}

/** `[a, b]` → `"a → b"`, the name of a generated test. */
export function describeEvent(event: EventObject): string {
  const e = event as EventObject & Record<string, unknown>;
  const short = e.type
    .replace(/^xstate\.done\.actor\.(\d+\.)?/, 'done:')
    .replace(/^xstate\.error\.actor\.(\d+\.)?/, 'error:')
    .replace(/^xstate\.after\.([^.]+)\..*$/, 'after:$1');
  const detail = (e as { label?: string }).label;
  return detail ? `${short}(${detail})` : short;
}

/**
 * The plan: for each input, the adjacency map; for each state in it, its shortest path, then
 * each event enabled there. Every (state, event) step is a candidate path; for each edge the
 * shortest candidate taking it is kept. Edges no candidate takes are returned as `unreachable`.
 */
export function planPaths(
  machine: AnyStateMachine,
  options: PlanOptions,
): { paths: PlannedPath[]; unreachable: string[]; candidates: number } {
  const candidates: PlannedPath[] = [];
  const inputs = Object.entries(options.inputs);
  for (const [inputName, input] of inputs) {
    // Name the input only when there is a choice of them.
    const prefix = inputs.length > 1 ? [inputName] : [];
    const traversal = {
      input,
      events: options.events,
      serializeState: (s: AnyMachineSnapshot) => options.serializeState(s),
    };
    const adjacency = getAdjacencyMap(machine, traversal as never) as Record<
      string,
      {
        state: AnyMachineSnapshot;
        transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }>;
      }
    >;
    const shortest = getShortestPaths(machine, traversal as never);
    // Each path's first step is `xstate.init`, its state the initial snapshot.
    const initial = shortest[0]?.steps[0]?.state as AnyMachineSnapshot;
    const initEdges = initEdgesOf(machine, input);
    for (const path of shortest) {
      const key = options.serializeState(path.state as AnyMachineSnapshot);
      const entry = adjacency[key];
      if (!entry) continue;
      const head: PlanStep[] = [];
      let prev = initial;
      for (const step of path.steps.slice(1)) {
        const state = step.state as AnyMachineSnapshot;
        head.push({
          event: step.event,
          state,
          edges: edgesTaken(machine, prev, step.event),
        });
        prev = state;
      }
      for (const { event, state } of Object.values(entry.transitions)) {
        const edges = edgesTaken(machine, entry.state, event);
        if (edges.length === 0) continue;
        const steps = [...head, { event, state, edges }];
        candidates.push({
          input: inputName,
          initEdges,
          initial,
          steps,
          target: '',
          name: [...prefix, ...steps.map((s) => describeEvent(s.event))].join(' → '),
        });
      }
    }
    // A path of no events covers what initialisation takes.
    if (initEdges.length > 0) {
      candidates.push({
        input: inputName,
        initEdges,
        initial,
        steps: [],
        target: '',
        name: `${inputName} (init)`,
      });
    }
  }
  const all = edgesOf(machine).map((e) => e.key);
  const paths: PlannedPath[] = [];
  const unreachable: string[] = [];
  const planned = new Set<string>();
  for (const key of all) {
    if (planned.has(key)) continue;
    const best = candidates
      .filter((c) => c.initEdges.includes(key) || c.steps.some((s) => s.edges.includes(key)))
      .sort((a, b) => a.steps.length - b.steps.length)[0];
    if (!best) {
      unreachable.push(key);
      continue;
    }
    paths.push({ ...best, target: key });
    for (const k of best.initEdges) planned.add(k);
    for (const s of best.steps) for (const k of s.edges) planned.add(k);
  }
  return { paths, unreachable, candidates: candidates.length };
}
