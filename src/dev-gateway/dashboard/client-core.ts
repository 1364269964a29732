/**
 * The dashboard's browser script is plain JavaScript served as is (no bundler, no framework): a
 * few chunks joined into one function scope by `index.ts`. This first one holds what the others
 * share — the page state, DOM and fetch helpers, rendering (coalesced to one frame, keeping the
 * keyboard focus), routing (`#/tasks/<taskId>`) — and keeps the gateway's records: a snapshot of
 * `/__dev__/tasks` and `/__dev__/neurons` taken each time the event stream (re)opens, which
 * *replaces* what the page held (a restarted gateway's `t-1` is not the old one's), then every
 * change from `/__dev__/events`. Everything is rendered with `textContent`: task inputs and
 * outputs are never parsed as HTML. No template literals: this file is itself one.
 */
export const CORE_JS = String.raw`
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
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  };
  /** Replaces an element's children, skipping empty ones and flattening arrays, as h() does. */
  const fill = (el, ...children) => {
    el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  };

  /** Everything the page shows. tasks keeps the gateway's submission order (newest last). */
  const state = {
    tasks: new Map(),
    neurons: [],
    /** 'connecting' | 'live' | 'down' */
    gateway: 'connecting',
    startedAt: null,
    restartedAt: null,
    /** The task whose detail is open, from the URL's hash. */
    taskId: null,
    /** The attempt shown on the lease machine; null: the latest. */
    attempt: null,
    filter: { state: 'all', capability: '', search: '' },
    page: 0,
  };
  const renderers = [];

  // ---- rendering -----------------------------------------------------------------------------
  let framed = false;
  function schedule() {
    if (framed) return;
    framed = true;
    requestAnimationFrame(() => {
      framed = false;
      renderAll();
    });
  }
  /** Where the keyboard focus goes after the next render (a view change), as a selector. */
  let focusNext = null;
  /** Re-rendering replaces elements: the focused one is found again by its data-key. */
  function renderAll() {
    const active = document.activeElement;
    const key = active && active.getAttribute ? active.getAttribute('data-key') : null;
    for (const render of renderers) render();
    if (focusNext) {
      const target = document.querySelector(focusNext);
      focusNext = null;
      if (target) target.focus();
    } else if (key && !document.contains(active)) {
      const again = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (again) again.focus({ preventScroll: true });
    }
  }

  // ---- formatting ----------------------------------------------------------------------------
  const two = (n) => String(n).padStart(2, '0');
  const clock = (ms) => {
    const d = new Date(ms);
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  };
  const duration = (ms) => {
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  };
  const ago = (ms) => {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? s + ' s ago' : s < 3600 ? Math.floor(s / 60) + ' min ago' : clock(ms);
  };
  const pretty = (value) => value === undefined ? 'undefined' : JSON.stringify(value, null, 2);

  // ---- talking to the gateway ----------------------------------------------------------------
  const getJson = async (path) => {
    const res = await fetch(path);
    if (!res.ok) throw new Error(path + ' answered ' + res.status);
    return res.json();
  };
  const postJson = async (path, body) => {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) });
    let json = null;
    try { json = await res.json(); } catch {}
    const message = json && json.error ? json.error.message : 'the gateway answered ' + res.status;
    return { ok: res.ok, status: res.status, body: json, message };
  };
  let toastTimer = null;
  const say = (text, ok) => {
    const el = $('toast');
    el.textContent = text;
    el.className = 'toast' + (ok === false ? ' bad' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.textContent = ''; }, 8000);
  };

  /** Whether any registered neuron could take a task of this type and scope (as the gateway's servedBy). */
  const servedBy = (type, onBehalfOf) => state.neurons.filter((n) => n.sessionId !== undefined &&
    n.capabilities.some((c) => c.type === type && !c.revoked && (c.scope === 'any' || c.scope.onBehalfOf === onBehalfOf))).length;

  // ---- the gateway's records -----------------------------------------------------------------
  const STATE_RANK = { pending: 0, leased: 1, acked: 2, failed: 2, cancelled: 2 };
  const weight = (t) => [
    t.history.length,
    t.history.filter((l) => l.end).length,
    STATE_RANK[t.state] || 0,
    t.progress.count,
    t.cancelRequested ? 1 : 0,
    t.state === 'pending' && t.retryAt === undefined ? 1 : 0,
  ];
  /** An event and the snapshot race: keep whichever record has seen more. */
  const olderThan = (a, b) => {
    const x = weight(a);
    const y = weight(b);
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] < y[i];
    return false;
  };
  const upsertTask = (task) => {
    const old = state.tasks.get(task.taskId);
    if (old && olderThan(task, old)) return;
    state.tasks.set(task.taskId, task);
    schedule();
  };
  let neuronsTimer = null;
  const refreshNeurons = () => {
    if (neuronsTimer) return;
    neuronsTimer = setTimeout(async () => {
      neuronsTimer = null;
      try {
        state.neurons = await getJson('/__dev__/neurons');
        schedule();
      } catch {}
    }, 100);
  };

  /** Task events that arrive while the snapshot loads; null once it is in. */
  let early = null;
  let opening = 0;
  const loadSnapshot = async () => {
    const mine = ++opening;
    early = [];
    try {
      const [health, tasks, neurons] = await Promise.all([
        getJson('/__dev__/health'), getJson('/__dev__/tasks'), getJson('/__dev__/neurons')]);
      if (mine !== opening) return;
      if (state.startedAt !== null && health.startedAt !== state.startedAt) state.restartedAt = health.startedAt;
      state.startedAt = health.startedAt;
      state.tasks = new Map(tasks.map((t) => [t.taskId, t]));
      state.neurons = neurons;
      const during = early;
      early = null;
      for (const task of during) upsertTask(task);
      state.gateway = 'live';
      schedule();
    } catch {
      // The stream fails too, and reopens: the snapshot is taken again then.
    }
  };
  const connect = () => {
    const events = new EventSource('/__dev__/events');
    events.onopen = loadSnapshot;
    events.onerror = () => {
      opening += 1;
      state.gateway = 'down';
      schedule();
      // An answer that is not a stream closes it for good: try again by hand.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    };
    events.addEventListener('task', (e) => {
      const task = JSON.parse(e.data);
      if (early) early.push(task);
      else upsertTask(task);
      // Held counts move with every lease and outcome.
      refreshNeurons();
    });
    for (const name of ['registered', 'stream:open', 'stream:close', 'session:dropped']) {
      events.addEventListener(name, refreshNeurons);
    }
  };

  // ---- header, banner, routing ---------------------------------------------------------------
  $('gateway').textContent = location.origin;
  const setFeed = (id, cls, text) => {
    const el = $(id);
    el.hidden = false;
    el.className = 'feed ' + cls;
    el.textContent = text;
  };
  renderers.push(() => {
    setFeed('feed-gateway', state.gateway === 'live' ? 'live' : state.gateway === 'down' ? 'down' : '',
      state.gateway === 'live' ? 'gateway: live' : state.gateway === 'down' ? 'gateway: unreachable' : 'gateway: connecting…');
    $('uptime').textContent = state.startedAt ? 'up since ' + clock(state.startedAt) : '';
    const banner = $('banner');
    if (state.gateway === 'down') {
      banner.hidden = false;
      banner.className = 'banner down';
      banner.textContent = 'The gateway is not answering (stopped or restarting). What you see is what it last said; neurons are shown as unknown. The page reconnects by itself.';
    } else if (state.restartedAt && Date.now() - state.restartedAt < 30000) {
      banner.hidden = false;
      banner.className = 'banner';
      banner.textContent = 'The gateway restarted at ' + clock(state.restartedAt) + ': the tasks of its previous run are gone, and task ids start again at t-1.';
    } else {
      banner.hidden = true;
    }
  });
  const route = () => {
    const match = /^#\/tasks\/(.+)$/.exec(location.hash);
    const taskId = match ? decodeURIComponent(match[1]) : null;
    if (taskId === state.taskId) return;
    // The detail's title when a task opens; back on the list, the row of the task just seen.
    focusNext = taskId !== null ? '#detail-title' : state.taskId !== null ? '[data-key="row:' + CSS.escape(state.taskId) + '"]' : null;
    state.attempt = null;
    state.taskId = taskId;
    schedule();
  };
  const openTask = (taskId) => { location.hash = '#/tasks/' + encodeURIComponent(taskId); };
  window.addEventListener('hashchange', route);
  // Countdowns (retry backoff) and "… s ago" move without any event.
  setInterval(() => {
    for (const t of state.tasks.values()) if (t.retryAt !== undefined && t.state === 'pending') return schedule();
  }, 250);
  setInterval(schedule, 5000);
`;
