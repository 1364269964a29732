/**
 * What beautiful-mermaid needs to lay a state diagram out correctly.
 *
 * It hands ELK every arrow at the top level unless both ends are plain states directly inside the
 * same composite, and reads the resulting coordinates as if they were relative to the top level;
 * ELK returns them relative to the lowest common composite. So an arrow whose ends meet inside a
 * nested composite (the neuron's `heartbeat` region: `on → off`, `beating → off`…) is drawn off
 * target. This rewrites such arrows into equivalent ones it draws correctly:
 * * an arrow from a composite leaves from each of its children instead (it applies in all of them);
 * * an arrow to a composite goes to the child it enters first;
 * * when the ends are still at different depths, the inner composite is dissolved into its parent,
 *   its children labelled `composite.child`.
 * Arrows between the same two states are then merged into one with a multi-line label.
 */
import { type Arrow, type Box, BoxIndex, type MachineGraph } from './machine-graph.js';

export function adaptForLayout(graph: MachineGraph): MachineGraph {
  const boxes = structuredClone(graph.boxes);
  let arrows = [...graph.arrows];
  let initial = graph.initial;
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new Error(`cannot adapt the ${graph.name} diagram for layout`);
    const index = new Index(boxes);
    const bad = arrows.findIndex((a) => !index.drawable(a));
    if (bad < 0) break;
    const arrow = arrows[bad] as Arrow;
    const from = index.box(arrow.from);
    const to = index.box(arrow.to);
    let replacement: Arrow[];
    if (from.kind !== 'leaf') {
      replacement = from.children.map((c) =>
        arrow.from === arrow.to ? { ...arrow, from: c.id, to: c.id } : { ...arrow, from: c.id },
      );
    } else if (to.kind !== 'leaf') {
      replacement = entered(to).map((id) => ({ ...arrow, to: id }));
    } else {
      const inner = index.innerComposite(arrow);
      arrows = dissolve(inner, index, boxes, arrows);
      if (initial === inner.id) initial = entered(inner)[0];
      continue;
    }
    arrows = [...arrows.slice(0, bad), ...replacement, ...arrows.slice(bad + 1)];
  }
  return { ...graph, boxes, initial, arrows: merge(arrows) };
}

/** The children a transition into `box` enters. */
function entered(box: Box): string[] {
  if (box.kind === 'parallel') return box.children.map((c) => c.id);
  return [box.initial ?? box.children[0]?.id ?? box.id];
}

/** Replace `inner` by its children (relabelled), re-pointing the arrows that touched it. */
function dissolve(inner: Box, index: Index, boxes: Box[], arrows: Arrow[]): Arrow[] {
  const parent = index.parent(inner.id);
  const siblings = parent ? parent.children : boxes;
  for (const child of inner.children) child.label = `${inner.label}.${child.label}`;
  siblings.splice(siblings.indexOf(inner), 1, ...inner.children);
  if (parent && parent.initial === inner.id) parent.initial = entered(inner)[0];
  return arrows.flatMap((a) => {
    if (a.from === inner.id && a.to === inner.id) {
      return inner.children.map((c) => ({ ...a, from: c.id, to: c.id }));
    }
    if (a.from === inner.id) return inner.children.map((c) => ({ ...a, from: c.id }));
    if (a.to === inner.id) return entered(inner).map((id) => ({ ...a, to: id }));
    return [a];
  });
}

function merge(arrows: Arrow[]): Arrow[] {
  const merged = new Map<string, Arrow>();
  for (const arrow of arrows) {
    const key = `${arrow.from}\u0000${arrow.to}`;
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...arrow });
    else if (!seen.label.split('<br/>').includes(arrow.label)) seen.label += `<br/>${arrow.label}`;
  }
  return [...merged.values()];
}

/** The index, plus what decides whether beautiful-mermaid draws an arrow where it belongs. */
class Index extends BoxIndex {
  /** ELK places the arrow in its `container`; it is drawn right only between leaves directly in it. */
  drawable(arrow: Arrow): boolean {
    const container = this.container(arrow);
    if (!container) return true;
    const from = this.box(arrow.from);
    const to = this.box(arrow.to);
    return (
      from.kind === 'leaf' &&
      to.kind === 'leaf' &&
      this.parent(from.id) === container &&
      this.parent(to.id) === container
    );
  }

  /** The composite directly inside the container that holds the deeper end of `arrow`. */
  innerComposite(arrow: Arrow): Box {
    const container = this.container(arrow);
    for (const end of [arrow.from, arrow.to]) {
      const chain = [this.box(end), ...this.ancestors(end)];
      const at = chain.findIndex((box) => this.parent(box.id) === container);
      const inner = chain[at];
      if (inner && inner.id !== end) return inner;
    }
    throw new Error(`arrow ${arrow.from} → ${arrow.to} needs no adapting`);
  }
}
