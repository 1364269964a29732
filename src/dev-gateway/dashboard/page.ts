/** The dashboard's HTML. Nothing is loaded from outside the gateway. */
import { IDENTITY_HTML } from './identity-client.js';

const STATES = ['pending', 'leased', 'acked', 'failed', 'cancelled'];

/** The page; `diagram` is the lease machine's SVG (trusted: drawn from the definition). */
export function dashboardHtml(diagram: string): string {
  const chips = ['all', ...STATES]
    .map(
      (state) =>
        `<button type="button" class="chip" data-state-filter="${state}" aria-pressed="${state === 'all'}">${state} <span class="count"></span></button>`,
    )
    .join('');
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
  <h1><a href="#/" id="home">neuron dev</a></h1>
  <span class="gateway" id="gateway"></span>
  <span class="uptime" id="uptime"></span>
  <span class="feeds"><span class="feed" id="feed-gateway" role="status">gateway: connecting…</span><span class="feed" id="feed-inspector" hidden>inspector: connecting…</span></span>
  <button type="button" class="primary" id="new-task" aria-keyshortcuts="n">New task</button>
</header>
<div class="banner" id="banner" role="alert" hidden></div>
<p class="toast" id="toast" role="status" aria-live="polite"></p>
<main>
  <aside class="sidebar">
    <section id="neurons-panel" aria-labelledby="neurons-title"><h2 id="neurons-title">Neurons</h2><div id="neurons"><p class="empty">No neuron has connected yet.</p></div></section>
    <section id="actors-panel" aria-labelledby="actors-title" hidden><h2 id="actors-title">Live actors</h2>
      <p class="hint">From the inspector relay: what each neuron's machines are doing now. <a id="stately-link" target="_blank" rel="noopener noreferrer">Open the Stately inspector</a> (online only).</p>
      <div id="actors"><p class="empty">No actor yet: start a neuron with <span class="mono">BIGBRAIN_INSPECT_URL</span>.</p></div></section>
  </aside>
  <div class="content">
    <section id="tasks-panel" aria-labelledby="tasks-title"><h2 id="tasks-title">Tasks</h2>
      <div class="toolbar">
        <label class="search"><span class="visually-hidden">Search by task id</span><input id="search" type="search" placeholder="Search task id" autocomplete="off" spellcheck="false" aria-keyshortcuts="/"></label>
        <label>capability <select id="capability-filter"><option value="">all</option></select></label>
        <div class="chips" role="group" aria-label="Filter by state">${chips}</div>
      </div>
      <table id="tasks"><thead><tr><th>task</th><th>capability</th><th>state</th><th class="wide">neuron · attempt</th><th>progress</th><th class="wide">lease</th><th>submitted</th><th>outcome</th></tr></thead><tbody></tbody></table>
      <p class="empty" id="no-tasks">No task yet: <button type="button" class="link" id="no-tasks-new">submit one</button> or <span class="mono">npx neuron inject &lt;type&gt; --input '…'</span></p>
      <nav class="pager" aria-label="Pages"><button type="button" id="page-newer">← Newer</button><span id="page-range"></span><button type="button" id="page-older">Older →</button></nav>
    </section>
    <section id="detail-panel" aria-labelledby="detail-title" hidden>
      <div class="detail-head"><a href="#/" class="back">← Tasks</a><h2 id="detail-title" tabindex="-1"></h2><span class="actions" id="detail-actions"></span></div>
      <div id="detail"></div>
      <h3>Lease machine</h3>
      <div class="diagram-head"><span class="which" id="diagram-lease">no lease selected</span><span class="source" id="diagram-source"></span></div>
      <div class="diagram" id="diagram">${diagram}</div>
      <div class="legend"><span class="l-current">current state</span><span class="l-possible">possible states (the gateway cannot tell which)</span><span class="l-visited">passed through</span></div>
    </section>
  </div>
  ${IDENTITY_HTML}
</main>
<dialog id="submit-dialog" aria-labelledby="submit-title">
  <form id="submit-form" method="dialog">
    <h2 id="submit-title">New task</h2>
    <label for="submit-type">Capability</label>
    <input id="submit-type" class="mono" list="submit-types" required autocomplete="off" spellcheck="false" placeholder="owner/package">
    <datalist id="submit-types"></datalist>
    <p class="hint" id="submit-about"></p>
    <label for="submit-input">Input (JSON)</label>
    <textarea id="submit-input" class="mono" rows="8" spellcheck="false">null</textarea>
    <div id="submit-check" class="check" role="status" aria-live="polite"></div>
    <details><summary>More</summary>
      <label for="submit-behalf">On behalf of (user id)</label><input id="submit-behalf" class="mono" autocomplete="off">
      <label for="submit-attempts">Max attempts</label><input id="submit-attempts" type="number" min="1" step="1" placeholder="gateway default">
    </details>
    <p class="result bad" id="submit-error" role="alert"></p>
    <div class="dialog-actions"><button type="button" id="submit-cancel">Cancel</button><button type="submit" class="primary" id="submit-go">Submit</button></div>
  </form>
</dialog>
<footer id="honesty">Keys: <kbd>/</kbd> search · <kbd>n</kbd> new task · <kbd>↑</kbd><kbd>↓</kbd> move · <kbd>Enter</kbd> open · <kbd>Esc</kbd> back.
Task states, progress and outcomes are the gateway's own records, live over <span class="mono">/__dev__/events</span>.
The lease machine runs inside the neuron: a state marked ● is the one the neuron reported through the inspector
(<span class="mono">neuron dev --inspect</span>); otherwise it is inferred from what the gateway saw, and says so.</footer>
</body>
</html>
`;
}
