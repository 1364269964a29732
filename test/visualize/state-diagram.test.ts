import { describe, expect, it } from 'vitest';
import { type AnyStateNode, createMachine } from 'xstate';
import { MACHINES } from '../../src/visualize/generate.js';
import { toRenderableStateDiagram, toStateDiagram } from '../../src/visualize/state-diagram.js';

/** What a `stateDiagram-v2` text declares: states (with their path of labels) and arrows. */
function parse(text: string) {
  const states = new Map<string, { path: string; parent: string | undefined }>();
  const arrows: Array<{ from: string; to: string; label: string; scope: string | undefined }> = [];
  const dividers = new Map<string, number>();
  const stack: string[] = [];
  const lines = text.split('\n');
  expect(lines[0]).toBe('stateDiagram-v2');
  for (const line of lines.slice(1).map((l) => l.trim())) {
    if (line === '') continue;
    const decl = /^state "([^"]*)" as (\w+)(\{)?$/.exec(line);
    if (decl) {
      const [, label = '', id = '', open] = decl;
      const parent = stack.at(-1);
      const prefix = parent === undefined ? '' : `${states.get(parent)?.path}.`;
      states.set(id, { path: `${prefix}${label}`, parent });
      if (open) stack.push(id);
      continue;
    }
    if (line === '}') {
      stack.pop();
      continue;
    }
    if (line === '--') {
      const scope = stack.at(-1) ?? '';
      dividers.set(scope, (dividers.get(scope) ?? 0) + 1);
      continue;
    }
    const arrow = /^(\S+) --> (\S+)(?: : (.+))?$/.exec(line);
    if (arrow) {
      const [, from = '', to = '', label = ''] = arrow;
      arrows.push({ from, to, label, scope: stack.at(-1) });
      continue;
    }
    throw new Error(`unexpected line: ${line}`);
  }
  return { states, arrows, dividers };
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((c) => [c, ...descendants(c)]);
}

/** How a transition's event should read, from the machine definition alone. */
function expectedEvent(node: AnyStateNode, eventType: string): string {
  if (eventType === '') return 'always';
  if (eventType.startsWith('xstate.after.') && eventType.endsWith(`.${node.id}`)) {
    const delay = eventType.slice('xstate.after.'.length, -(node.id.length + 1));
    return /^\d+$/.test(delay) ? `after ${delay}ms` : `after ${delay}`;
  }
  const result = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (result) {
    const invoke = node.invoke.find((i) => i.id === result[2]);
    return `${result[1]} · ${typeof invoke?.src === 'string' ? invoke.src : invoke?.id}`;
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

describe.each(Object.entries(MACHINES))('the %s state diagram', (_name, machine) => {
  const text = toStateDiagram(machine);
  const { states, arrows, dividers } = parse(text);
  const pathOf = (id: string) => {
    if (id === '[*]') return '[*]';
    const state = states.get(id);
    if (!state) throw new Error(`arrow to an undeclared state ${id}`);
    return state.path;
  };
  const nodes = descendants(machine.root);

  it('declares every state once, nested as in the machine', () => {
    const declared = [...states.values()].map((s) => s.path).filter((p) => p !== '(any state)');
    expect(declared.sort()).toEqual(nodes.map((n) => n.path.join('.')).sort());
  });

  it('marks every initial state, every final state, and separates parallel regions', () => {
    for (const node of [machine.root, ...nodes]) {
      const scope = node === machine.root ? undefined : node.path.join('.');
      const inScope = arrows.filter(
        (a) => (a.scope === undefined ? undefined : pathOf(a.scope)) === scope,
      );
      if (node.type === 'compound') {
        const initial = node.initial.target[0]?.path.join('.');
        expect(inScope.filter((a) => a.from === '[*]').map((a) => pathOf(a.to))).toEqual([initial]);
      }
      if (node.type === 'final') {
        expect(arrows.some((a) => pathOf(a.from) === node.path.join('.') && a.to === '[*]')).toBe(
          true,
        );
      }
      if (node.type === 'parallel') {
        const id = [...states].find(([, s]) => s.path === node.path.join('.'))?.[0] ?? '';
        expect(dividers.get(id)).toBe(Object.keys(node.states).length - 1);
      }
    }
  });

  it('draws every transition once, labelled with its event, guard and re-entry', () => {
    const remaining = arrows.filter((a) => a.from !== '[*]' && a.to !== '[*]');
    for (const node of [machine.root, ...nodes]) {
      const from = node === machine.root ? '(any state)' : node.path.join('.');
      const transitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
      for (const t of transitions) {
        let label = expectedEvent(node, t.eventType);
        const guard = t.guard as string | { type: string } | undefined;
        if (guard !== undefined) label += ` [${typeof guard === 'string' ? guard : guard.type}]`;
        if (t.reenter) label += ' (reenter)';
        const targets = t.target?.map((n) => n.path.join('.')) ?? [];
        const expected =
          targets.length === 0
            ? [{ to: from, label: `${label} (internal)` }]
            : targets.map((to) => ({ to, label }));
        for (const e of expected) {
          const i = remaining.findIndex(
            (a) => pathOf(a.from) === from && pathOf(a.to) === e.to && a.label === e.label,
          );
          expect(i, `${from} --> ${e.to} : ${e.label}\n\n${text}`).toBeGreaterThanOrEqual(0);
          remaining.splice(i, 1);
        }
      }
    }
    expect(remaining).toEqual([]);
  });

  it('is the same text every time', () => {
    expect(toStateDiagram(machine)).toBe(text);
  });

  it('keeps every state in the diagram the SVG is drawn from', () => {
    const rendered = toRenderableStateDiagram(machine);
    const labels = [...rendered.matchAll(/state "([^"]*)"/g)].map((m) => (m[1] ?? '').split('.'));
    // A composite beautiful-mermaid cannot nest is dissolved: its name prefixes its children's.
    for (const node of nodes) {
      expect(labels.some((parts) => parts.includes(node.key))).toBe(true);
      if (node.type === 'atomic' || node.type === 'final') {
        expect(labels.some((parts) => parts.at(-1) === node.key)).toBe(true);
      }
    }
  });
});

describe('state diagram ids and labels', () => {
  const machine = createMachine({
    id: 'toy',
    initial: 'end',
    states: {
      end: { after: { 1000: 'a' }, on: { go: { target: 'a', guard: () => true } } },
      a: {
        initial: 'x',
        states: { x: { on: { 'x-y': 'y' } }, y: { type: 'final' } },
        onDone: 'b',
      },
      b: { initial: 'x', states: { x: {} } },
    },
  });
  const text = toStateDiagram(machine);

  it('never uses a Mermaid keyword, a duplicate key, a dash or a dot as an id', () => {
    const ids = [...text.matchAll(/ as (\S+?)\{?$/gm)].map((m) => m[1] ?? '');
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z_]\w*$/);
    expect(ids).not.toContain('end');
    expect(text).toContain('state "x" as a_x');
    expect(text).toContain('state "x" as b_x');
  });

  it('names numeric delays in ms, anonymous guards and state completion', () => {
    expect(text).toContain(' : after 1000ms');
    expect(text).toMatch(/ : go \[guard\]$/m);
    expect(text).toMatch(/^ {2}a --> b : done$/m);
  });
});
