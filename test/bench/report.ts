/** The bench's printed table, its ratio lines, and the README's Markdown table. */
import type { BenchResult, MetricSummary } from './harness.js';

function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–';
  if (unit === '×') return value.toFixed(2);
  const fine = unit === 'ms' || unit === 'µs';
  if (fine && value < 10) return value.toFixed(2);
  if (fine && value < 1000) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

function row(m: MetricSummary): string[] {
  const target = m.target ? `${m.target.description}: ${m.target.met ? 'met' : 'MISSED'}` : '';
  return [
    m.scenario,
    m.name === m.scenario ? m.unit : `${m.name} (${m.unit})`,
    fmt(m.sdkMedian, m.unit),
    fmt(m.rawMedian, m.unit),
    Number.isFinite(m.ratio) ? m.ratio.toFixed(2) : '–',
    target,
  ];
}

const HEAD = ['scenario', 'metric', 'sdk', 'raw', 'sdk/raw', 'target'];

export function formatTable(result: BenchResult): string {
  const rows = [HEAD, ...result.metrics.map(row)];
  const widths = HEAD.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c >= 2 && c <= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)));
  return rows
    .map((r, i) => {
      const text = line(r).join('  ').trimEnd();
      return i === 0 ? `${text}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : text;
    })
    .join('\n');
}

const ratio = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '–');

/**
 * `throughput ratio sdk/raw: 0.93`, one per metric. A metric that is itself a ratio within each
 * client (the flood's `cpu per lease 5000/500`) also gets one line per client, since its target
 * is on the SDK's own figure: `flood cpu per lease ratio 5000/500 sdk: 1.04, raw: 1.01`.
 */
export function formatRatios(result: BenchResult): string {
  return result.metrics
    .flatMap((m) => {
      const what = m.name === m.scenario ? m.scenario : `${m.scenario} ${m.name}`;
      const line = `${what} ratio sdk/raw: ${ratio(m.ratio)}`;
      if (m.unit !== '×') return [line];
      const [quantity, sizes] = splitRatioName(m.name);
      const own = `${m.scenario} ${quantity} ratio ${sizes} sdk: ${ratio(m.sdkMedian)}, raw: ${ratio(m.rawMedian)}`;
      return [own, line];
    })
    .join('\n');
}

/** `cpu per lease 5000/500` → [`cpu per lease`, `5000/500`]. */
function splitRatioName(name: string): [string, string] {
  const space = name.lastIndexOf(' ');
  return [name.slice(0, space), name.slice(space + 1)];
}

export function formatMarkdown(result: BenchResult): string {
  const rows = result.metrics.map(row);
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, c) => (c >= 2 && c <= 4 ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function formatMachine(result: BenchResult): string {
  const m = result.machine;
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  return (
    `${m.nproc} cores (nproc), ${m.cpu}, Node ${m.node}, ${m.platform}; ` +
    `${m.placement}; ` +
    `load average ${load(m.loadavgStart)} at the start, ${load(m.loadavgEnd)} at the end` +
    (m.busy ? ' (busy machine: figures are noisy)' : '')
  );
}
