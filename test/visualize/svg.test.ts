import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VISUALIZATIONS_DIR } from '../../src/visualize/generate.js';
import { fixSvg, PALETTE, renderSvg } from '../../src/visualize/svg.js';

/** What only a browser with network access would resolve. */
function viewerDependencies(svg: string): string[] {
  const found: string[] = [];
  if (svg.includes('var(--')) found.push('a CSS variable');
  if (svg.includes('color-mix')) found.push('color-mix()');
  if (/@import|@font-face|url\((?!#)/.test(svg)) found.push('an external stylesheet or font');
  if (/https?:\/\/(?!www\.w3\.org\/)/.test(svg)) found.push('a remote URL');
  if (/\bInter\b/.test(svg)) found.push('the Inter web font');
  return found;
}

describe('the SVG renderer', () => {
  it('draws with fixed colours and system fonts only', () => {
    const svg = renderSvg('stateDiagram-v2\n  [*] --> a\n  a --> b : go\n  b --> [*]\n');
    expect(viewerDependencies(svg)).toEqual([]);
    expect(svg).toContain(`fill="${PALETTE.surface}"`);
    expect(svg).toMatch(/font-family="[^"]*sans-serif"/);
  });

  it('evaluates color-mix() of the palette as CSS does', () => {
    const svg = fixSvg(
      '<svg xmlns="http://www.w3.org/2000/svg" style="--bg:#ffffff;--fg:#000000;background:var(--bg)">' +
        '<style>svg { --_half: color-mix(in srgb, var(--fg) 50%, var(--bg)); }</style>' +
        '<rect fill="var(--_half)" stroke="var(--missing, #123456)"/></svg>',
    );
    expect(svg).toContain('fill="#808080"');
    expect(svg).toContain('stroke="#123456"');
    expect(svg).toContain('background:#ffffff');
  });

  it('refuses to leave a variable it cannot resolve', () => {
    expect(() =>
      fixSvg('<svg xmlns="http://www.w3.org/2000/svg"><rect fill="var(--nope)"/></svg>'),
    ).toThrow(/--nope/);
  });
});

describe('the committed SVGs', async () => {
  const names = (await readdir(VISUALIZATIONS_DIR)).filter((n) => n.endsWith('.svg')).sort();

  it('exist', () => {
    expect(names.length).toBeGreaterThan(0);
  });

  it.each(names)('%s renders the same in any viewer', async (name) => {
    const svg = await readFile(join(VISUALIZATIONS_DIR, name), 'utf8');
    expect(svg).toMatch(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(viewerDependencies(svg)).toEqual([]);
  });
});
