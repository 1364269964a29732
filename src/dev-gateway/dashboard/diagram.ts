/**
 * A machine definition → an SVG the dashboard highlights: one box per top-level state (a compound
 * state lists its children inside), one arrow per pair of top-level states a transition joins.
 * Drawn from the definition itself, so it follows the machine as it changes.
 *
 * Layout: columns by longest path from the initial state (back edges ignored), states in the
 * order the machine declares them; an arrow to the next column is a curve, a longer one runs in
 * its own lane under the boxes. Every box carries `data-state="<path>"` (`executing`,
 * `executing.running`) for the page to set `current` / `possible` / `visited` on.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

interface Box {
  path: string;
  key: string;
  final: boolean;
  children: string[];
  rank: number;
  x: number;
  y: number;
  h: number;
}

interface Arrow {
  from: string;
  to: string;
  labels: string[];
}

const COL_W = 132;
const GAP_X = 104;
const LABEL_H = 11;
const LEAF_H = 36;
const HEAD_H = 30;
const ROW_H = 26;
const GAP_Y = 22;
const MARGIN = 16;
const LANE_GAP = 14;

/** `xstate.done.actor.0.lease.validating` → `done`, `xstate.after.cancelGrace.…` → `after cancelGrace`. */
function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  if (eventType.startsWith('xstate.done.')) return 'done';
  if (eventType.startsWith('xstate.error.')) return 'error';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  return after ? `after ${after[1]}` : eventType;
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => descendants(child))];
}

/** The top-level states and the arrows between them. */
function graphOf(machine: AnyStateMachine): { boxes: Box[]; arrows: Arrow[]; initial?: string } {
  const root = machine.root;
  const tops = Object.values(root.states);
  const topOf = new Map<AnyStateNode, string>();
  for (const top of tops) for (const node of descendants(top)) topOf.set(node, top.key);
  const arrows = new Map<string, Arrow>();
  for (const top of tops) {
    for (const node of descendants(top)) {
      const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
      for (const transition of transitions) {
        for (const target of transition.target ?? []) {
          const to = topOf.get(target);
          if (to === undefined || to === top.key) continue;
          const id = `${top.key}>${to}`;
          const arrow = arrows.get(id) ?? { from: top.key, to, labels: [] };
          const label = eventLabel(transition.eventType);
          if (!arrow.labels.includes(label)) arrow.labels.push(label);
          arrows.set(id, arrow);
        }
      }
    }
  }
  const boxes = tops.map(
    (top): Box => ({
      path: top.key,
      key: top.key,
      final: top.type === 'final',
      children: Object.values(top.states).map((child) => child.key),
      rank: 0,
      x: 0,
      y: 0,
      h: 0,
    }),
  );
  const initial = root.initial?.target[0]?.key;
  return { boxes, arrows: [...arrows.values()], ...(initial !== undefined && { initial }) };
}

/** Longest path from `initial` over the arrows that are not back edges of a DFS from it. */
function rank(boxes: Box[], arrows: Arrow[], initial: string | undefined): Arrow[] {
  const out = new Map<string, Arrow[]>();
  for (const arrow of arrows) out.set(arrow.from, [...(out.get(arrow.from) ?? []), arrow]);
  const forward: Arrow[] = [];
  const onStack = new Set<string>();
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (key: string): void => {
    seen.add(key);
    onStack.add(key);
    for (const arrow of out.get(key) ?? []) {
      if (onStack.has(arrow.to)) continue;
      forward.push(arrow);
      if (!seen.has(arrow.to)) visit(arrow.to);
    }
    onStack.delete(key);
    order.unshift(key);
  };
  if (initial !== undefined) visit(initial);
  const byKey = new Map(boxes.map((box) => [box.key, box]));
  for (const key of order) {
    const from = byKey.get(key)!;
    for (const arrow of forward.filter((a) => a.from === key)) {
      const to = byKey.get(arrow.to)!;
      to.rank = Math.max(to.rank, from.rank + 1);
    }
  }
  return forward;
}

const esc = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The machine as an SVG document fragment (no script, no external reference). */
export function machineDiagram(machine: AnyStateMachine): string {
  const { boxes, arrows, initial } = graphOf(machine);
  rank(boxes, arrows, initial);
  const columns = Math.max(...boxes.map((b) => b.rank)) + 1;
  for (const box of boxes) {
    box.h = box.children.length === 0 ? LEAF_H : HEAD_H + box.children.length * ROW_H + 6;
    box.x = MARGIN + box.rank * (COL_W + GAP_X);
  }
  const heightOf = (rank: number): number => {
    const inColumn = boxes.filter((b) => b.rank === rank);
    return inColumn.reduce((sum, b) => sum + b.h, 0) + GAP_Y * (inColumn.length - 1);
  };
  const tallest = Math.max(...Array.from({ length: columns }, (_, r) => heightOf(r)));
  for (let r = 0; r < columns; r += 1) {
    let y = MARGIN + 14 + (tallest - heightOf(r)) / 2;
    for (const box of boxes.filter((b) => b.rank === r)) {
      box.y = y;
      y += box.h + GAP_Y;
    }
  }
  const byKey = new Map(boxes.map((box) => [box.key, box]));
  const bottom = MARGIN + 14 + tallest;
  const parts: string[] = [];
  let lanes = 0;
  for (const arrow of arrows) {
    const from = byKey.get(arrow.from)!;
    const to = byKey.get(arrow.to)!;
    const title = `<title>${esc(`${arrow.from} → ${arrow.to}: ${arrow.labels.join(' · ')}`)}</title>`;
    const [x1, y1] = [from.x + COL_W, from.y + Math.min(from.h / 2, 18)];
    const [x2, y2] = [to.x, to.y + Math.min(to.h / 2, 18)];
    let d: string;
    let lx: number;
    let ly: number;
    if (to.rank === from.rank + 1) {
      const dx = (x2 - x1) / 2;
      d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
      // One line per event, stacked around the curve's middle.
      [lx, ly] = [(x1 + x2) / 2, (y1 + y2) / 2 - ((arrow.labels.length - 1) * LABEL_H) / 2];
    } else {
      // Longer (or backward) arrows: out of the source's right side, down the gap after it,
      // along a lane of their own under the boxes, up the gap before the target, into its left.
      lanes += 1;
      const lane = bottom + LANE_GAP * lanes;
      const out = x1 + 14 + (lanes % 4) * 6;
      const back = x2 - 14 - (lanes % 4) * 6;
      d = `M${x1},${y1} H${out} V${lane} H${back} V${y2} H${x2}`;
      [lx, ly] = [(out + back) / 2, lane - 3];
    }
    const lines = to.rank === from.rank + 1 ? arrow.labels : [arrow.labels.join(' · ')];
    const text = lines
      .map((line, i) => `<tspan x="${lx}" y="${ly + i * LABEL_H}">${esc(line)}</tspan>`)
      .join('');
    parts.push(
      `<g class="arrow" data-from="${esc(arrow.from)}" data-to="${esc(arrow.to)}">${title}<path d="${d}" marker-end="url(#arrowhead)"/><text>${text}</text></g>`,
    );
  }
  for (const box of boxes) {
    const rows = box.children.map((child, i) => {
      const y = box.y + HEAD_H + i * ROW_H;
      return `<g class="state child" data-state="${esc(`${box.path}.${child}`)}"><rect x="${box.x + 8}" y="${y}" width="${COL_W - 16}" height="${ROW_H - 4}" rx="6"/><text x="${box.x + COL_W / 2}" y="${y + 15}">${esc(child)}</text></g>`;
    });
    const labelY = box.children.length === 0 ? box.y + LEAF_H / 2 + 5 : box.y + 19;
    parts.push(
      `<g class="state${box.final ? ' final' : ''}" data-state="${esc(box.path)}"><rect x="${box.x}" y="${box.y}" width="${COL_W}" height="${box.h}" rx="10"/><text class="name" x="${box.x + COL_W / 2}" y="${labelY}">${esc(box.key)}</text>${rows.join('')}</g>`,
    );
  }
  const start = initial === undefined ? undefined : byKey.get(initial);
  if (start) {
    const [cx, cy] = [start.x + COL_W / 2, start.y - 12];
    parts.push(
      `<g class="start"><circle cx="${cx}" cy="${cy}" r="5"/><path d="M${cx},${cy + 5} V${start.y}" marker-end="url(#arrowhead)"/></g>`,
    );
  }
  const width = MARGIN * 2 + columns * COL_W + (columns - 1) * GAP_X;
  const height = bottom + LANE_GAP * (lanes + 1);
  const defs =
    '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="machine" data-machine="${esc(machine.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(machine.id)} machine">${defs}${parts.join('')}</svg>`;
}
