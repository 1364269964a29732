/** The dashboard's stylesheet: two columns from 1100 px, one below; nothing loaded from outside. */
import { IDENTITY_CSS } from './identity-client.js';

export const DASHBOARD_CSS = `
:root { color-scheme: light; --ink: #1e293b; --muted: #64748b; --line: #e2e8f0; --panel: #fff;
  --bg: #f8fafc; --blue: #1d4ed8; --blue-soft: #dbeafe; --green: #15803d; --green-soft: #dcfce7;
  --red: #b91c1c; --red-soft: #fee2e2; --amber: #a16207; --amber-soft: #fef3c7; --grey-soft: #f1f5f9;
  --focus: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
a { color: var(--blue); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
header { display: flex; align-items: center; flex-wrap: wrap; gap: 8px 16px; padding: 10px 20px;
  border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 17px; margin: 0; }
header h1 a { color: inherit; text-decoration: none; }
header .gateway, header .uptime { color: var(--muted); font-size: 13px; }
header .gateway { font-family: ui-monospace, monospace; }
header .feeds { margin-left: auto; display: flex; gap: 8px; }
.feed { font-size: 12px; padding: 2px 8px; border-radius: 999px; background: var(--grey-soft); color: var(--muted); }
.feed.live { background: var(--green-soft); color: var(--green); }
.feed.down { background: var(--red-soft); color: var(--red); }
.banner { margin: 12px 20px 0; padding: 8px 12px; border-radius: 8px; background: var(--amber-soft); color: #713f12; border: 1px solid #fde68a; }
.banner.down { background: var(--red-soft); color: #7f1d1d; border-color: #fecaca; }
.toast { margin: 0 20px; min-height: 0; font-size: 13px; color: var(--green); }
.toast:not(:empty) { margin-top: 8px; }
.toast.bad { color: var(--red); }
main { display: grid; grid-template-columns: minmax(260px, 300px) minmax(0, 1fr); gap: 16px; padding: 12px 20px 16px; align-items: start; }
.sidebar, .content { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 10px; }
h3 { font-size: 13px; color: var(--muted); margin: 16px 0 6px; font-weight: 600; }
.empty, .hint { color: var(--muted); font-size: 13px; }
.empty { font-style: italic; }
.hint { margin: 0 0 8px; }
button { font: inherit; font-size: 12px; font-weight: 600; padding: 3px 10px; border-radius: 6px; border: 1px solid #cbd5e1;
  background: var(--panel); color: var(--ink); cursor: pointer; }
button:hover { background: var(--grey-soft); }
button:disabled { opacity: .5; cursor: default; }
button.primary { background: var(--blue); color: #fff; border-color: var(--blue); }
button.primary:hover { background: #1e40af; }
button.danger { color: var(--red); border-color: #fecaca; background: var(--red-soft); }
button.link { border: 0; background: none; padding: 0; color: var(--blue); text-decoration: underline; font-weight: 400; font-size: inherit; }
input, select, textarea { font: inherit; font-size: 13px; padding: 4px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; color: var(--ink); }
.mono, td.mono, pre, code, kbd { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
kbd { font-size: 11px; border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: #fff; }
.neuron { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.neuron .head { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.neuron .id { font-weight: 600; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.neuron .head button { margin-left: auto; }
.neuron .meta, .meta { color: var(--muted); font-size: 12px; }
.neuron ul { margin: 6px 0 0; padding: 0; list-style: none; font-size: 13px; }
.neuron li { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; padding: 3px 0; border-top: 1px dashed var(--line); }
.neuron li .type { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.neuron li .meta { margin-left: auto; }
.neuron li.revoked .type { text-decoration: line-through; color: var(--muted); }
.neuron li button { padding: 1px 6px; font-size: 11px; }
.stale .neuron { opacity: .6; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px;
  background: var(--grey-soft); color: var(--muted); white-space: nowrap; }
.badge.registered, .badge.acked { background: var(--green-soft); color: var(--green); }
.badge.leased { background: var(--blue-soft); color: var(--blue); }
.badge.pending, .badge.connected, .badge.stalled, .badge.session-kept, .badge.draining { background: var(--amber-soft); color: var(--amber); }
.badge.failed, .badge.disconnected { background: var(--red-soft); color: var(--red); }
.badge.unknown { background: var(--grey-soft); color: var(--muted); border: 1px dashed #94a3b8; }
.note { display: block; font-size: 12px; color: var(--muted); }
.note.warn { color: var(--amber); }
.note.bad { color: var(--red); }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; margin-bottom: 8px; font-size: 13px; color: var(--muted); }
.toolbar .search input { width: 200px; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { font-weight: 500; border-radius: 999px; }
.chip[aria-pressed="true"] { background: var(--ink); color: #fff; border-color: var(--ink); }
.chip .count { font-variant-numeric: tabular-nums; opacity: .75; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
#tasks tbody tr { cursor: pointer; }
#tasks tbody tr:hover { background: var(--grey-soft); }
#tasks tbody tr:focus-visible { outline-offset: -2px; background: var(--blue-soft); }
/* max-width 0: the outcome takes what the other columns leave, and is cut there. */
td.outcome { max-width: 0; width: 30%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.nowrap, .note { white-space: nowrap; }
#detail-title:focus { outline: none; }
td.when { white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
.pager { display: flex; gap: 12px; align-items: center; justify-content: flex-end; margin-top: 8px; font-size: 13px; color: var(--muted); }
.progress-row { display: flex; align-items: center; gap: 8px; }
.bar { position: relative; width: 90px; height: 10px; border-radius: 5px; background: #e2e8f0; overflow: hidden; flex: none; }
.bar .fill { position: absolute; inset: 0 auto 0 0; background: var(--blue); transition: width .2s; }
.bar.done .fill { background: var(--green); }
.bar.failed .fill { background: var(--red); }
.progress-row .pct { font-size: 12px; font-variant-numeric: tabular-nums; min-width: 34px; }
.progress-message { color: var(--muted); font-size: 12px; }
.lease-state { font-family: ui-monospace, monospace; font-size: 12px; }
.lease-state.reported::after { content: " ●"; color: var(--green); }
.detail-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.detail-head h2 { margin: 0; font-size: 16px; text-transform: none; letter-spacing: 0; color: var(--ink); font-family: ui-monospace, monospace; }
.detail-head .actions { margin-left: auto; display: flex; gap: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--grey-soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0; font-size: 12px;
  max-height: 260px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.attempt { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.attempt.selected { border-color: var(--blue); box-shadow: 0 0 0 1px var(--blue); }
.attempt .head { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
.attempt .head strong { font-size: 13px; }
.attempt .head button { margin-left: auto; }
.attempt ol { margin: 6px 0 0; padding-left: 0; list-style: none; font-size: 12px; }
.attempt ol li { display: grid; grid-template-columns: 92px 46px 1fr; gap: 8px; padding: 1px 0; }
.attempt table { margin-top: 4px; font-size: 12px; }
.gap { color: var(--muted); font-size: 12px; margin: -2px 0 8px 12px; }
.diagram-head { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.diagram-head .which { font-family: ui-monospace, monospace; font-weight: 600; }
.diagram-head .source { color: var(--muted); font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); margin-top: 6px; }
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
.actor { font-size: 12px; padding: 3px 0; border-top: 1px dashed var(--line); }
.actor .machine { font-weight: 600; }
.actor { overflow-wrap: anywhere; }
.actor .value { font-family: ui-monospace, monospace; color: var(--blue); overflow-wrap: anywhere; }
.actor.done .value, .actor.stopped .value { color: var(--muted); }
.actor .children { margin-left: 14px; }
dialog { border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; width: min(560px, calc(100vw - 32px)); box-shadow: 0 20px 50px rgba(15, 23, 42, .25); }
dialog::backdrop { background: rgba(15, 23, 42, .35); }
dialog form { display: flex; flex-direction: column; gap: 6px; }
dialog h2 { margin: 0 0 6px; font-size: 16px; text-transform: none; letter-spacing: 0; color: var(--ink); }
dialog label { font-size: 12px; font-weight: 600; color: var(--muted); margin-top: 4px; }
dialog textarea { resize: vertical; min-height: 120px; }
dialog details { font-size: 13px; }
dialog details[open] { display: flex; flex-direction: column; gap: 4px; }
.check { font-size: 12px; min-height: 18px; }
.check.ok { color: var(--green); }
.check.bad { color: var(--red); }
.check ul { margin: 2px 0 0; padding-left: 18px; }
.dialog-actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 8px; }
.result.ok { color: var(--green); }
.result.bad { color: var(--red); }
.result:empty { display: none; }
footer { color: var(--muted); font-size: 12px; padding: 0 20px 16px; }
@media (max-width: 1099px) {
  main { grid-template-columns: minmax(0, 1fr); }
  .sidebar { order: 2; }
  th.wide, td.wide { display: none; }
  .toolbar .search input { width: 150px; }
}
${IDENTITY_CSS}`;
