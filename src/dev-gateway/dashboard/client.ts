/**
 * The dashboard's browser script, served as is (no bundler, no framework). It keeps the gateway's
 * records — a snapshot from `/__dev__/tasks` and `/__dev__/neurons`, then every change from the
 * `/__dev__/events` stream — and, when the page has `?inspect=ws://…`, the lease states neurons
 * report through the inspector relay. Everything is rendered with `textContent`: task inputs and
 * outputs are never parsed as HTML.
 */
// biome-ignore lint/complexity/noUselessStringRaw: so a backslash written here reaches the browser as is
export const DASHBOARD_JS = String.raw`'use strict';
(() => {
  const params = new URLSearchParams(location.search);
  const inspectUrl = params.get('inspect');
  const svg = document.querySelector('svg.machine');
  const machineId = svg ? svg.getAttribute('data-machine') : 'lease';
  /** taskId → TaskRecord, the newest seen. */
  const tasks = new Map();
  let neurons = [];
  /** leaseId → { paths, visited, neuronId } as the neuron reported it. */
  const reported = new Map();
  /** inspector sessionId → leaseId, for the lease actors. */
  const leaseSessions = new Map();
  let selectedTask = null;
  let lastChanged = null;

  const $ = (id) => document.getElementById(id);
  const h = (tag, props, ...children) => {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'className') el.className = value;
      // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
      else if (key === 'style') Object.assign(el.style, value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  };
  $('gateway').textContent = location.origin;

  // ---- the gateway's records ----------------------------------------------------------------
  const STATE_RANK = { pending: 0, leased: 1, acked: 2, failed: 2, cancelled: 2 };
  const weight = (t) => [
    t.history.length,
    t.history.filter((l) => l.end).length,
    STATE_RANK[t.state] ?? 0,
    t.progress.count,
    t.cancelRequested ? 1 : 0,
  ];
  /** Events and the snapshot race: keep whichever record has seen more. */
  const olderThan = (a, b) => {
    const x = weight(a);
    const y = weight(b);
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] < y[i];
    return false;
  };
  const upsertTask = (task) => {
    const old = tasks.get(task.taskId);
    if (old && olderThan(task, old)) return;
    tasks.set(task.taskId, task);
    lastChanged = task.taskId;
    schedule();
  };

  const loadSnapshot = async () => {
    try {
      const [t, n] = await Promise.all([fetch('/__dev__/tasks'), fetch('/__dev__/neurons')]);
      for (const task of await t.json()) upsertTask(task);
      neurons = await n.json();
      schedule();
    } catch {
      // The stream reconnects and asks again.
    }
  };
  let neuronsTimer = null;
  const refreshNeurons = () => {
    if (neuronsTimer) return;
    neuronsTimer = setTimeout(async () => {
      neuronsTimer = null;
      try {
        neurons = await (await fetch('/__dev__/neurons')).json();
        schedule();
      } catch {}
    }, 100);
  };

  const setFeed = (id, cls, text) => {
    const el = $(id);
    el.hidden = false;
    el.className = 'feed ' + cls;
    el.textContent = text;
  };
  const events = new EventSource('/__dev__/events');
  events.onopen = () => {
    setFeed('feed-gateway', 'live', 'gateway: live');
    loadSnapshot();
  };
  events.onerror = () => setFeed('feed-gateway', 'down', 'gateway: reconnecting…');
  for (const name of ['task', 'task:settled']) {
    events.addEventListener(name, (e) => upsertTask(JSON.parse(e.data)));
  }
  for (const name of ['registered', 'stream:open', 'stream:close', 'session:dropped', 'lease', 'lease:reclaimed', 'task:settled']) {
    events.addEventListener(name, refreshNeurons);
  }

  // ---- lease states the neurons report (inspector relay) -------------------------------------
  const pathsOf = (value, prefix) => {
    if (typeof value === 'string') return [prefix ? prefix + '.' + value : value];
    if (!value || typeof value !== 'object') return [];
    return Object.entries(value).flatMap(([key, sub]) => pathsOf(sub, prefix ? prefix + '.' + key : key));
  };
  const recordLease = (leaseId, snapshot) => {
    if (typeof leaseId !== 'string' || !snapshot || snapshot.value === undefined) return;
    const entry = reported.get(leaseId) || { paths: [], visited: [] };
    entry.paths = pathsOf(snapshot.value, '');
    for (const p of entry.paths) if (!entry.visited.includes(p)) entry.visited.push(p);
    reported.set(leaseId, entry);
    schedule();
  };
  const onInspection = (event) => {
    if (!event || typeof event !== 'object') return;
    if (event.type === '@xstate.actor') {
      let definition = null;
      try { definition = JSON.parse(event.definition || 'null'); } catch {}
      if (!definition || definition.id !== machineId) return;
      const context = (event.snapshot && event.snapshot.context) || {};
      const leaseId = typeof context.leaseId === 'string' ? context.leaseId : event.name;
      // Only the session: the snapshot an actor event carries is of when it was sent, not created.
      leaseSessions.set(event.sessionId, leaseId);
    } else if (event.type === '@xstate.snapshot' && leaseSessions.has(event.sessionId)) {
      recordLease(leaseSessions.get(event.sessionId), event.snapshot);
    }
  };
  const connectInspector = () => {
    let socket;
    try { socket = new WebSocket(inspectUrl); } catch {
      setFeed('feed-inspector', 'down', 'inspector: bad URL');
      return;
    }
    socket.onopen = () => setFeed('feed-inspector', 'live', 'inspector: live');
    socket.onmessage = (message) => {
      try { onInspection(JSON.parse(message.data)); } catch {}
    };
    socket.onclose = () => {
      setFeed('feed-inspector', 'down', 'inspector: reconnecting…');
      setTimeout(connectInspector, 2000);
    };
  };
  if (inspectUrl) connectInspector();

  // ---- what the lease machine is in ----------------------------------------------------------
  const BEFORE_RUN = ['received', 'validating', 'queued'];
  /** The gateway's view of a lease, put on the machine: certain where it can be, else a range. */
  const inferred = (task, lease) => {
    if (lease.end === 'acked') {
      return { current: ['settled'], visited: BEFORE_RUN.concat('executing', 'acking'), short: 'settled',
        why: 'inferred from the gateway: it received the ack' };
    }
    if (lease.end === 'nacked') {
      const o = lease.outcome || {};
      const atInput = o.details && o.details.phase === 'input';
      return { current: ['settled'], visited: atInput ? ['received', 'validating', 'nacking'] : BEFORE_RUN.concat('executing', 'nacking'),
        short: 'settled', why: 'inferred from the gateway: it received the nack' };
    }
    if (lease.end) {
      return { possible: ['expired', 'lost', 'settled'], short: 'expired | lost | settled?',
        why: 'inferred from the gateway: it reclaimed the lease (' + lease.end + '); what the neuron did is unknown to it' };
    }
    if (task.cancelRequested) {
      return { possible: ['executing.cancelling', 'nacking'], visited: BEFORE_RUN, short: 'cancelling | nacking?',
        why: 'inferred from the gateway: cancel sent, no answer yet' };
    }
    const last = task.progress.last;
    if (last && last.leaseId === lease.leaseId) {
      return { current: ['executing.running'], visited: BEFORE_RUN, short: 'executing?',
        why: 'inferred from the gateway: progress arrived, so its handler runs (or has just finished)' };
    }
    return { possible: BEFORE_RUN.concat('executing'), short: 'received … executing?',
      why: 'inferred from the gateway: leased, nothing heard back yet' };
  };
  const leaseView = (task) => {
    const lease = task.history[task.history.length - 1];
    if (!lease) return null;
    const mine = reported.get(lease.leaseId);
    if (mine) {
      return { lease, current: mine.paths, visited: mine.visited, reported: true,
        short: mine.paths.join(', '), why: 'reported by neuron ' + lease.neuronId + ' through the inspector' };
    }
    return Object.assign({ lease, reported: false }, inferred(task, lease));
  };

  // ---- rendering -----------------------------------------------------------------------------
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  }
  const connectionOf = (n) => {
    if (n.stalled) return ['stalled', 'stalled'];
    if (!n.streamOpen) return n.sessionId ? ['session-kept', 'disconnected · session kept'] : ['disconnected', 'disconnected'];
    if (!n.sessionId) return ['connected', 'connected · not registered'];
    if (!n.dispatchable) return ['draining', 'registered · refusing leases'];
    return ['registered', 'registered'];
  };
  const renderNeurons = () => {
    const box = $('neurons');
    box.replaceChildren();
    if (neurons.length === 0) {
      box.append(h('p', { className: 'empty' }, 'No neuron has connected yet.'));
      return;
    }
    for (const n of neurons) {
      const [cls, label] = connectionOf(n);
      const sdk = n.sdk ? n.sdk.name + ' ' + n.sdk.version : '';
      box.append(h('div', { className: 'neuron', 'data-neuron-id': n.neuronId },
        h('div', {}, h('span', { className: 'id' }, n.neuronId), ' ', h('span', { className: 'badge connection ' + cls }, label)),
        h('div', { className: 'meta' }, [n.sessionId ? 'session ' + n.sessionId : 'no session', sdk, n.identity ? n.identity.kind + ' ' + n.identity.sub : ''].filter(Boolean).join(' · ')),
        h('ul', {}, n.capabilities.map((c) => h('li', { className: c.revoked ? 'revoked' : '', 'data-capability': c.type },
          h('span', { className: 'type' }, c.type),
          h('span', { className: 'meta' },
            (c.scope === 'any' ? 'any' : 'for ' + c.scope.onBehalfOf) + ' · ' + c.held + '/' + c.concurrency + ' held' + (c.revoked ? ' · revoked' : '')))))));
    }
  };
  const outcomeText = (task) => {
    const o = task.outcome;
    if (!o) return task.cancelRequested ? 'cancel requested' : '';
    if (o.type === 'ack') return 'ack' + (o.durationMs !== undefined ? ' · ' + o.durationMs + ' ms' : '') + ' · ' + JSON.stringify(o.output);
    if (o.type === 'nack') return 'nack ' + o.kind + (o.code ? ' ' + o.code : '') + ': ' + o.reason;
    if (o.type === 'cancelled') return 'cancelled' + (o.reason ? ': ' + o.reason : '');
    return 'lease lost (' + o.reason + ')';
  };
  const progressBar = (task) => {
    const last = task.progress.last;
    let pct = last && typeof last.percent === 'number' ? last.percent : null;
    if (task.state === 'acked') pct = 100;
    const cls = task.state === 'acked' ? 'bar done' : task.state === 'failed' || task.state === 'cancelled' ? 'bar failed' : 'bar';
    const width = pct === null ? 0 : Math.max(0, Math.min(100, pct));
    return h('div', {},
      h('div', { className: 'progress-row' },
        h('div', { className: cls, title: last && last.message ? last.message : '' },
          h('div', { className: 'fill', style: { width: width + '%' } })),
        h('span', { className: 'pct' }, pct === null ? '–' : Math.round(width) + '%')),
      last && last.message ? h('div', { className: 'progress-message' }, last.message) : null);
  };
  const renderTasks = () => {
    const body = document.querySelector('#tasks tbody');
    const list = [...tasks.values()];
    $('no-tasks').hidden = list.length > 0;
    body.replaceChildren(...list.map((task) => {
      const view = leaseView(task);
      return h('tr', { 'data-task-id': task.taskId, className: task.taskId === shownTask() ? 'selected' : '' },
        h('td', { className: 'mono' }, task.taskId),
        h('td', { className: 'mono' }, task.capabilityType),
        h('td', { className: 'state' }, h('span', { className: 'badge ' + task.state }, task.state)),
        h('td', { className: 'mono' }, task.neuronId ? task.neuronId + ' · ' + task.attempts + '/' + task.maxAttempts : '—'),
        h('td', { className: 'progress' }, progressBar(task)),
        h('td', {}, view ? h('span', { className: 'lease-state' + (view.reported ? ' reported' : ''), title: view.why }, view.short) : '—'),
        h('td', { className: 'outcome', title: outcomeText(task) }, outcomeText(task)));
    }));
  };
  const shownTask = () => selectedTask || lastChanged;
  const mark = (path, cls) => {
    const parts = path.split('.');
    for (let i = parts.length; i > 0; i -= 1) {
      const el = svg && svg.querySelector('[data-state="' + CSS.escape(parts.slice(0, i).join('.')) + '"]');
      if (el && !el.classList.contains('current')) el.classList.add(cls);
    }
  };
  const renderDiagram = () => {
    if (!svg) return;
    for (const el of svg.querySelectorAll('.state')) el.classList.remove('current', 'possible', 'visited');
    const task = tasks.get(shownTask());
    const view = task && leaseView(task);
    if (!view) {
      $('diagram-lease').textContent = task ? task.taskId + ': no lease yet (pending)' : 'no lease selected';
      $('diagram-source').textContent = task ? 'The task waits for a neuron that serves ' + task.capabilityType + '.' : 'Click a task to see its lease here.';
      return;
    }
    $('diagram-lease').textContent = 'lease ' + view.lease.leaseId + ' · task ' + task.taskId + (selectedTask ? '' : ' (latest; click a task to pin it)');
    $('diagram-source').textContent = view.why;
    for (const p of view.current || []) mark(p, 'current');
    for (const p of view.possible || []) mark(p, 'possible');
    for (const p of view.visited || []) mark(p, 'visited');
  };
  function render() {
    renderNeurons();
    renderTasks();
    renderDiagram();
  }
  document.querySelector('#tasks tbody').addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-task-id]');
    if (!row) return;
    selectedTask = row.getAttribute('data-task-id') === selectedTask ? null : row.getAttribute('data-task-id');
    schedule();
  });
  schedule();
})();
`;
