/**
 * Mermaid → a self-contained SVG, without a browser.
 *
 * beautiful-mermaid lays the diagram out (ELK, synchronously) and themes it through CSS custom
 * properties, `color-mix()` and an `@import` of the Inter web font. Viewers that render an SVG as
 * an image (GitHub's camo proxy, `rsvg-convert`, most image previews) resolve neither the
 * variables reliably nor the remote font, so every `var()` and `color-mix()` is evaluated here to
 * a fixed colour of one light palette, and the font becomes a system stack.
 */
import { type RenderOptions, renderMermaidSVG } from 'beautiful-mermaid';

/** The light palette every diagram is drawn with. */
export const PALETTE = {
  bg: '#ffffff',
  fg: '#1f2328',
  line: '#8c959f',
  accent: '#424a53',
  muted: '#57606a',
  surface: '#f6f8fa',
  border: '#afb8c1',
} as const satisfies RenderOptions;

/** Fonts every platform has; beautiful-mermaid measures text for Inter, which these approximate. */
const FONT_STACK =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, 'Liberation Sans', sans-serif";
const MONO_STACK = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

/** Render Mermaid text to an SVG that needs no CSS variables, no `color-mix()` and no web font. */
export function renderSvg(mermaid: string): string {
  return fixSvg(renderMermaidSVG(mermaid, { ...PALETTE, padding: 24 }));
}

/** Resolve beautiful-mermaid's themed SVG to fixed colours and a system font stack. */
export function fixSvg(svg: string): string {
  const vars = new Map<string, string>();
  const openTag = svg.match(/^<svg\b[^>]*>/)?.[0];
  if (!openTag) throw new Error('not an SVG: it does not start with <svg');
  for (const [, name, value] of (openTag.match(/style="([^"]*)"/)?.[1] ?? '').matchAll(
    /(--[\w-]+)\s*:\s*([^;]+)/g,
  )) {
    if (name && value) vars.set(name, value.trim());
  }
  const style = svg.match(/<style>[\s\S]*?<\/style>/)?.[0] ?? '';
  for (const [, name, value] of style.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) {
    if (name && value) vars.set(name, value.trim());
  }
  const resolve = (expression: string) => evaluate(expression, vars);

  const fixedOpenTag = openTag.replace(/style="([^"]*)"/, (_, declarations: string) => {
    const kept = declarations
      .split(';')
      .map((d) => d.trim())
      .filter((d) => d !== '' && !d.startsWith('--'))
      .map(resolve);
    return `style="${kept.join(';')}" font-family="${FONT_STACK.replaceAll("'", '')}"`;
  });
  const fixedStyle = [
    '<style>',
    `  text { font-family: ${FONT_STACK}; }`,
    `  .mono { font-family: ${MONO_STACK}; }`,
    '</style>',
  ].join('\n');

  let out = svg.replace(openTag, fixedOpenTag).replace(style, fixedStyle);
  out = out.replace(/(var|color-mix)\((?:[^()]|\([^()]*\)|\((?:[^()]|\([^()]*\))*\))*\)/g, (m) =>
    resolve(m),
  );
  out = widen(roundNumbers(out));
  const leftover = /var\(--|color-mix|@import|https?:\/\/(?!www\.w3\.org)/.exec(out);
  if (leftover) {
    throw new Error(`the SVG still depends on its viewer: '${leftover[0]}' at ${leftover.index}`);
  }
  return `${out.trimEnd()}\n`;
}

/** Evaluate nested `var()` and `color-mix(in srgb, …)` calls, innermost first. */
function evaluate(expression: string, vars: ReadonlyMap<string, string>, depth = 0): string {
  if (depth > 20) throw new Error(`cyclic CSS variables in '${expression}'`);
  let text = expression;
  const innermost = /(var|color-mix)\(([^()]*)\)/;
  for (let match = innermost.exec(text); match; match = innermost.exec(text)) {
    const [call, fn, args = ''] = match;
    const value = fn === 'var' ? lookup(args, vars, depth) : mix(args);
    text = text.replace(call, value);
  }
  return text;
}

function lookup(args: string, vars: ReadonlyMap<string, string>, depth: number): string {
  const comma = args.indexOf(',');
  const name = (comma < 0 ? args : args.slice(0, comma)).trim();
  const fallback = comma < 0 ? undefined : args.slice(comma + 1).trim();
  const value = vars.get(name) ?? fallback;
  if (value === undefined) throw new Error(`undefined CSS variable ${name}`);
  return evaluate(value, vars, depth + 1);
}

/** `in srgb, <colour> <p>%, <colour> [<q>%]` → `#rrggbb`, as CSS Color 5 defines it. */
function mix(args: string): string {
  const [space, first = '', second = ''] = args.split(',').map((s) => s.trim());
  if (space !== 'in srgb') throw new Error(`unsupported color-mix space '${space}'`);
  const [c1 = '', p1] = first.split(/\s+/);
  const [c2 = '', p2] = second.split(/\s+/);
  let w1 = p1 === undefined ? undefined : Number.parseFloat(p1) / 100;
  const w2 = p2 === undefined ? undefined : Number.parseFloat(p2) / 100;
  if (w1 === undefined) w1 = w2 === undefined ? 0.5 : 1 - w2;
  const a = rgb(c1);
  const b = rgb(c2);
  const channel = (i: number) =>
    Math.round((a[i] ?? 0) * w1 + (b[i] ?? 0) * (1 - w1))
      .toString(16)
      .padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

function rgb(colour: string): number[] {
  let hex = colour.replace(/^#/, '');
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  if (!/^[0-9a-f]{6}$/i.test(hex)) throw new Error(`unsupported colour '${colour}'`);
  return [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
}

/**
 * Text is measured for Inter; a viewer's fallback font may run wider, and a label centred near
 * an edge would be clipped. A margin each side keeps it in view.
 */
function widen(svg: string): string {
  return svg.replace(
    /^<svg\b([^>]*?)viewBox="0 0 ([\d.]+) ([\d.]+)" width="[\d.]+"/,
    (_, before: string, w: string, h: string) => {
      const margin = Math.round(Math.max(16, Number(w) * 0.06));
      const width = Math.round(Number(w) + 2 * margin);
      return `<svg${before}viewBox="${-margin} 0 ${width} ${h}" width="${width}"`;
    },
  );
}

/** Layout coordinates carry float noise (`1104.5140000000001`): two decimals are plenty. */
function roundNumbers(svg: string): string {
  return svg.replace(
    /\b(x|y|x1|y1|x2|y2|cx|cy|r|rx|ry|width|height|viewBox|points|d|dy|transform)="([^"]*)"/g,
    (_, name: string, value: string) =>
      `${name}="${value.replace(/-?\d+\.\d{3,}/g, (n) => String(Number(Number(n).toFixed(2))))}"`,
  );
}
