/** The dashboard's HTML and CSS. Nothing is loaded from outside the gateway. */
import { IDENTITY_CSS, IDENTITY_HTML } from './identity-client.js';

export const DASHBOARD_CSS = `
:root { color-scheme: light; --ink: #1e293b; --muted: #64748b; --line: #e2e8f0; --panel: #fff;
  --bg: #f8fafc; --blue: #2563eb; --blue-soft: #dbeafe; --green: #15803d; --green-soft: #dcfce7;
  --red: #b91c1c; --red-soft: #fee2e2; --amber: #b45309; --amber-soft: #fef3c7; --grey-soft: #f1f5f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 16px; padding: 12px 20px;
  border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 17px; margin: 0; }
header .gateway { color: var(--muted); font-family: ui-monospace, monospace; font-size: 13px; }
header .feeds { margin-left: auto; display: flex; gap: 10px; }
.feed { font-size: 12px; padding: 2px 8px; border-radius: 999px; background: var(--grey-soft); color: var(--muted); }
.feed.live { background: var(--green-soft); color: var(--green); }
.feed.down { background: var(--red-soft); color: var(--red); }
main { display: grid; grid-template-columns: minmax(260px, 320px) 1fr; gap: 16px; padding: 16px 20px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 10px; }
.diagram-panel { grid-column: 1 / -1; }
.empty { color: var(--muted); font-style: italic; }
.neuron { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.neuron .id { font-weight: 600; font-family: ui-monospace, monospace; }
.neuron .meta { color: var(--muted); font-size: 12px; }
.neuron ul { margin: 6px 0 0; padding: 0; list-style: none; font-size: 13px; }
.neuron li { display: flex; justify-content: space-between; gap: 8px; padding: 2px 0; border-top: 1px dashed var(--line); }
.neuron li .type { font-family: ui-monospace, monospace; }
.neuron li.revoked .type { text-decoration: line-through; color: var(--muted); }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px;
  background: var(--grey-soft); color: var(--muted); white-space: nowrap; }
.badge.registered, .badge.acked { background: var(--green-soft); color: var(--green); }
.badge.leased { background: var(--blue-soft); color: var(--blue); }
.badge.pending, .badge.connected, .badge.stalled, .badge.session-kept, .badge.draining { background: var(--amber-soft); color: var(--amber); }
.badge.failed, .badge.disconnected { background: var(--red-soft); color: var(--red); }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; padding: 4px 8px; border-bottom: 1px solid var(--line); }
td { padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: var(--grey-soft); }
tbody tr.selected { background: var(--blue-soft); }
td.mono, .mono { font-family: ui-monospace, monospace; }
td.outcome { max-width: 340px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.progress-row { display: flex; align-items: center; gap: 8px; }
.bar { position: relative; width: 110px; height: 10px; border-radius: 5px; background: #e2e8f0; overflow: hidden; }
.bar .fill { position: absolute; inset: 0 auto 0 0; background: var(--blue); transition: width .2s; }
.bar.done .fill { background: var(--green); }
.bar.failed .fill { background: var(--red); }
.progress-row .pct { font-size: 12px; font-variant-numeric: tabular-nums; min-width: 34px; }
.progress-message { color: var(--muted); font-size: 12px; }
.lease-state { font-family: ui-monospace, monospace; font-size: 12px; }
.lease-state.reported::after { content: " ●"; color: var(--green); }
.diagram-head { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.diagram-head .which { font-family: ui-monospace, monospace; font-weight: 600; }
.diagram-head .source { color: var(--muted); font-size: 13px; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 10px; margin-right: 5px;
  border: 1.5px solid var(--muted); border-radius: 3px; vertical-align: -1px; }
.legend .l-current::before { background: var(--blue-soft); border-color: var(--blue); }
.legend .l-possible::before { border: 1.5px dashed var(--blue); background: #eff6ff; }
.legend .l-visited::before { background: #e2e8f0; border-color: #94a3b8; }
.diagram { overflow-x: auto; }
svg.machine { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg.machine .state > rect { fill: #fff; stroke: #94a3b8; stroke-width: 1.2; }
svg.machine .state.child > rect { fill: #f8fafc; stroke: #cbd5e1; }
svg.machine .state.final > rect { stroke-width: 2.5; stroke: #64748b; }
svg.machine text { text-anchor: middle; fill: var(--ink); }
svg.machine text.name { font-weight: 600; font-size: 13px; }
svg.machine .arrow path { fill: none; stroke: #94a3b8; stroke-width: 1.2; }
svg.machine .arrow text { font-size: 10px; fill: var(--muted); paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.machine marker path, svg.machine .start circle { fill: #64748b; }
svg.machine .start path { stroke: #64748b; fill: none; }
svg.machine .state.visited > rect { fill: #e2e8f0; stroke: #94a3b8; }
svg.machine .state.possible > rect { fill: #eff6ff; stroke: var(--blue); stroke-dasharray: 5 3; stroke-width: 1.8; }
svg.machine .state.current > rect { fill: var(--blue-soft); stroke: var(--blue); stroke-width: 2.5; }
svg.machine .arrow.taken path { stroke: var(--blue); stroke-width: 2; }
footer { color: var(--muted); font-size: 12px; padding: 0 20px 16px; }
${IDENTITY_CSS}`;

/** The page; `diagram` is the lease machine's SVG (trusted: drawn from the definition). */
export function dashboardHtml(diagram: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>neuron dev · dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/__dashboard__/dashboard.css">
<script src="/__dashboard__/dashboard.js" defer></script>
<script src="/__dashboard__/identity.js" defer></script>
</head>
<body>
<header>
  <h1>neuron dev</h1>
  <span class="gateway" id="gateway"></span>
  <span class="feeds"><span class="feed" id="feed-gateway">gateway: connecting…</span><span class="feed" id="feed-inspector" hidden>inspector: connecting…</span></span>
</header>
<main>
  <section id="neurons-panel"><h2>Neurons</h2><div id="neurons"><p class="empty">No neuron has connected yet.</p></div></section>
  <section id="tasks-panel"><h2>Tasks</h2>
    <table id="tasks"><thead><tr><th>task</th><th>type</th><th>state</th><th>neuron · attempt</th><th>progress</th><th>lease machine</th><th>outcome</th></tr></thead><tbody></tbody></table>
    <p class="empty" id="no-tasks">No task yet: <span class="mono">npx neuron inject &lt;type&gt; --input '…'</span></p>
  </section>
  ${IDENTITY_HTML}
  <section class="diagram-panel" id="diagram-panel"><h2>Lease machine</h2>
    <div class="diagram-head"><span class="which" id="diagram-lease">no lease selected</span><span class="source" id="diagram-source">Click a task to see its lease here.</span></div>
    <div class="diagram" id="diagram">${diagram}</div>
    <div class="legend"><span class="l-current">current state</span><span class="l-possible">possible states (the gateway cannot tell which)</span><span class="l-visited">passed through</span></div>
  </section>
</main>
<footer id="honesty">Gateway view: task states, progress and outcomes are the gateway's own records, live over
<span class="mono">/__dev__/events</span>. The lease machine runs inside the neuron: a state marked ● is the one the
neuron reported through the inspector (<span class="mono">neuron dev --inspect</span>, the neuron sending with
<span class="mono">BIGBRAIN_INSPECT_URL</span>); otherwise it is inferred from what the gateway saw, and says so.</footer>
</body>
</html>
`;
}
