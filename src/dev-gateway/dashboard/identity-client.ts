/**
 * The dashboard's Identity panel script, served as is: device codes waiting for approval (with
 * Approve and Deny), enrolled clients (with Revoke), and a box to approve a user code by hand.
 * It is also the verification page: `/device?user_code=…` (the device flow's
 * `verification_uri_complete`) puts the panel first with the code filled in and its row marked.
 * Live over `/__dev__/events`; hidden when the gateway runs without an identity provider.
 * Everything is rendered with `textContent`.
 */
// biome-ignore lint/complexity/noUselessStringRaw: so a backslash written here reaches the browser as is
export const IDENTITY_JS = String.raw`'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const panel = $('identity-panel');
  const wanted = new URLSearchParams(location.search).get('user_code');
  const bare = (code) => String(code || '').toUpperCase().replace(/[^A-Z]/g, '');
  let pending = [];
  let clients = [];

  const h = (tag, props, ...children) => {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'className') el.className = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  };
  const time = (ms) => new Date(ms).toLocaleTimeString();
  const say = (text, ok) => {
    const el = $('identity-result');
    el.textContent = text;
    el.className = 'result ' + (ok ? 'ok' : 'bad');
  };

  const getJson = async (path) => {
    const res = await fetch(path);
    return { ok: res.ok, body: await res.json() };
  };
  const post = async (path, body) => {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) });
    return { ok: res.ok, body: await res.json() };
  };

  const load = async () => {
    try {
      // Health names the identity provider only when there is one: no 404 to log otherwise.
      const health = await getJson('/__dev__/health');
      panel.hidden = !health.body.mokuUrl;
      if (panel.hidden) return;
      $('issuer').textContent = health.body.mokuUrl;
      const [codes, list] = await Promise.all([getJson('/__dev__/identity/device-codes'), getJson('/__dev__/identity/clients')]);
      pending = codes.body;
      clients = list.body;
      render();
    } catch {
      // The event stream reconnects and asks again.
    }
  };
  let timer = null;
  const refresh = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      load();
    }, 50);
  };

  const decide = async (userCode, action) => {
    if (!bare(userCode)) return say('Type the user code the neuron printed, e.g. WDJB-MJHT.', false);
    const { ok, body } = await post('/__dev__/identity/device-codes/' + encodeURIComponent(userCode) + '/' + action);
    if (ok) {
      const who = body.clientName ? ' (' + body.clientName + ')' : '';
      say((action === 'approve' ? 'Approved ' : 'Denied ') + body.userCode + who + '.', true);
    } else {
      say(body.error ? body.error.message : 'the gateway refused', false);
    }
    refresh();
  };
  const revoke = async (clientId) => {
    const { ok, body } = await post('/__dev__/identity/clients/' + encodeURIComponent(clientId) + '/revoke', { reason: 'revoked from the dashboard' });
    const closed = ok && body.disconnected.length ? '; closed the streams of ' + body.disconnected.join(', ') : '';
    say(ok ? 'Revoked ' + clientId + closed + '.' : body.error.message, ok);
    refresh();
  };

  const renderPending = () => {
    const now = Date.now();
    const live = pending.filter((code) => code.expiresAt > now);
    $('no-device-codes').hidden = live.length > 0;
    $('device-codes').querySelector('tbody').replaceChildren(...live.map((code) =>
      h('tr', { 'data-user-code': code.userCode, className: bare(code.userCode) === bare(wanted) ? 'wanted' : '' },
        h('td', { className: 'mono user-code' }, code.userCode),
        h('td', {}, code.clientName || '—'),
        h('td', { className: 'mono' }, code.capabilities.join(', ') || '—'),
        h('td', {}, time(code.expiresAt)),
        h('td', { className: 'actions' },
          h('button', { className: 'approve', 'data-approve': code.userCode }, 'Approve'),
          h('button', { className: 'deny', 'data-deny': code.userCode }, 'Deny')))));
  };
  const renderClients = () => {
    $('no-clients').hidden = clients.length > 0;
    $('clients').querySelector('tbody').replaceChildren(...clients.map((client) => {
      const revoked = client.revokedAt !== undefined;
      return h('tr', { 'data-client-id': client.clientId, className: revoked ? 'revoked' : '' },
        h('td', { className: 'mono' }, client.clientId),
        h('td', {}, client.clientName || '—'),
        h('td', { className: 'mono' }, client.capabilities.join(', ') || '—'),
        h('td', { className: 'mono' }, client.orgId || '—'),
        h('td', { className: 'mono neurons' }, client.neurons.join(', ') || '—'),
        h('td', { className: 'state' }, h('span', { className: 'badge ' + (revoked ? 'failed' : 'registered') },
          revoked ? 'revoked ' + time(client.revokedAt) : 'enrolled ' + time(client.createdAt))),
        h('td', { className: 'actions' }, revoked ? '' : h('button', { className: 'deny', 'data-revoke': client.clientId }, 'Revoke')));
    }));
  };
  function render() {
    renderPending();
    renderClients();
  }

  panel.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (!button) return;
    if (button.id === 'approve-code') decide($('user-code').value, 'approve');
    else if (button.id === 'deny-code') decide($('user-code').value, 'deny');
    else if (button.dataset.approve) decide(button.dataset.approve, 'approve');
    else if (button.dataset.deny) decide(button.dataset.deny, 'deny');
    else if (button.dataset.revoke) revoke(button.dataset.revoke);
  });

  if (location.pathname === '/device') document.body.classList.add('device');
  if (wanted) $('user-code').value = wanted;
  const events = new EventSource('/__dev__/events');
  events.onopen = load;
  for (const name of ['identity:device-code', 'identity:client', 'stream:open', 'stream:close']) {
    events.addEventListener(name, refresh);
  }
})();
`;

/** The panel's markup, placed in the dashboard's grid (first on `/device`). */
export const IDENTITY_HTML = `<section class="identity-panel" id="identity-panel" hidden><h2>Identity</h2>
    <p class="identity-meta">Identity provider (<span class="mono">neuron enroll --moku-url</span>): <span class="mono" id="issuer"></span></p>
    <div class="approve-box"><label for="user-code">User code</label>
      <input id="user-code" class="mono" placeholder="WDJB-MJHT" autocomplete="off" spellcheck="false">
      <button id="approve-code" class="approve">Approve</button><button id="deny-code" class="deny">Deny</button>
      <span id="identity-result" class="result" role="status"></span></div>
    <h3>Waiting for approval</h3>
    <table id="device-codes"><thead><tr><th>user code</th><th>name</th><th>requested capabilities</th><th>expires</th><th></th></tr></thead><tbody></tbody></table>
    <p class="empty" id="no-device-codes">No enrollment is waiting: <span class="mono">npx neuron enroll --moku-url … --name …</span></p>
    <h3>Enrolled clients</h3>
    <table id="clients"><thead><tr><th>client</th><th>name</th><th>capabilities</th><th>org</th><th>neurons</th><th>state</th><th></th></tr></thead><tbody></tbody></table>
    <p class="empty" id="no-clients">No client enrolled yet.</p>
  </section>`;

export const IDENTITY_CSS = `
.identity-panel { grid-column: 1 / -1; }
body.device .identity-panel { order: -1; }
.identity-panel h3 { font-size: 12px; color: var(--muted); margin: 14px 0 6px; font-weight: 600; }
.identity-panel tbody tr { cursor: default; }
.identity-panel tbody tr.wanted { background: var(--amber-soft); }
.identity-panel tbody tr.revoked td { color: var(--muted); }
.identity-meta { margin: 0 0 10px; color: var(--muted); }
.approve-box { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.approve-box input { font-size: 14px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; width: 130px; text-transform: uppercase; }
button.approve { background: var(--green-soft); color: var(--green); border-color: #bbf7d0; }
button.deny { background: var(--red-soft); color: var(--red); border-color: #fecaca; margin-left: 6px; }
td.actions { white-space: nowrap; text-align: right; }
.result.ok { color: var(--green); }
.result.bad { color: var(--red); }
`;
