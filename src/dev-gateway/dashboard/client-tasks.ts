/**
 * The dashboard's task list chunk: newest first, one page of {@link PAGE_SIZE} rows in the DOM
 * whatever the number of tasks (filtering a few thousand records per frame is cheap; building
 * thousands of rows is not), filters by state and capability, search by task id, and keyboard
 * moves between rows. Also what the list and the detail view share about a task: its state note
 * (waiting out a retry, no neuron serves it…), progress bar and outcome text.
 */
export const TASKS_JS = String.raw`
  const PAGE_SIZE = 50;

  /** Why a task is where it is, when the state alone does not say: [tone, text] or null. */
  const stateNote = (task) => {
    if (task.state === 'pending') {
      if (task.retryAt !== undefined) {
        const wait = task.retryAt - Date.now();
        return ['warn', wait > 0 ? 'attempt ' + (task.attempts + 1) + ' in ' + (wait / 1000).toFixed(1) + ' s' : 'retrying…'];
      }
      if (state.gateway === 'live' && servedBy(task.capabilityType, task.onBehalfOf) === 0) {
        return ['bad', 'no neuron serves it' + (task.onBehalfOf ? ' for ' + task.onBehalfOf : '')];
      }
      return task.attempts > 0 ? ['', 'requeued after attempt ' + task.attempts] : null;
    }
    if (task.state === 'leased' && task.cancelRequested) return ['warn', 'cancel requested'];
    return null;
  };
  const outcomeText = (outcome) => {
    if (!outcome) return '';
    if (outcome.type === 'ack') return 'ack' + (outcome.durationMs !== undefined ? ' · ' + outcome.durationMs + ' ms' : '') + ' · ' + JSON.stringify(outcome.output);
    if (outcome.type === 'nack') return 'nack ' + outcome.kind + (outcome.code ? ' ' + outcome.code : '') + ': ' + outcome.reason;
    if (outcome.type === 'cancelled') return 'cancelled' + (outcome.reason ? ': ' + outcome.reason : '');
    return 'lease lost (' + outcome.reason + ')';
  };
  const progressBar = (task, last) => {
    let pct = last && typeof last.percent === 'number' ? last.percent : null;
    if (task.state === 'acked') pct = 100;
    const cls = task.state === 'acked' ? 'bar done' : task.state === 'failed' || task.state === 'cancelled' ? 'bar failed' : 'bar';
    const width = pct === null ? 0 : Math.max(0, Math.min(100, pct));
    return h('div', {},
      h('div', { className: 'progress-row' },
        h('div', { className: cls, role: 'progressbar', 'aria-valuenow': pct === null ? null : Math.round(width), 'aria-valuemin': 0, 'aria-valuemax': 100 },
          h('div', { className: 'fill', style: { width: width + '%' } })),
        h('span', { className: 'pct' }, pct === null ? '–' : Math.round(width) + '%')),
      last && last.message ? h('div', { className: 'progress-message' }, last.message) : null);
  };
  const stateCell = (task) => {
    const note = stateNote(task);
    return [h('span', { className: 'badge ' + task.state }, task.state),
      note ? h('span', { className: 'note ' + note[0] }, note[1]) : null];
  };

  // ---- filters -------------------------------------------------------------------------------
  const matches = (task, ignoreState) => {
    const f = state.filter;
    if (!ignoreState && f.state !== 'all' && task.state !== f.state) return false;
    if (f.capability && task.capabilityType !== f.capability) return false;
    const q = f.search.trim().toLowerCase();
    return !q || task.taskId.toLowerCase().includes(q);
  };
  const setFilter = (change) => {
    Object.assign(state.filter, change);
    state.page = 0;
    schedule();
  };
  $('search').addEventListener('input', (e) => setFilter({ search: e.target.value }));
  $('search').addEventListener('keydown', (e) => {
    // Enter on an exact id opens it: search is how you jump to a task someone named.
    const id = e.target.value.trim();
    if (e.key === 'Enter' && state.tasks.has(id)) openTask(id);
  });
  $('capability-filter').addEventListener('change', (e) => setFilter({ capability: e.target.value }));
  document.querySelector('.chips').addEventListener('click', (e) => {
    const chip = e.target.closest('[data-state-filter]');
    if (chip) setFilter({ state: chip.getAttribute('data-state-filter') });
  });
  $('page-newer').addEventListener('click', () => { state.page -= 1; schedule(); });
  $('page-older').addEventListener('click', () => { state.page += 1; schedule(); });

  let capabilityOptions = '';
  const renderFilters = () => {
    const types = new Set([...state.tasks.values()].map((t) => t.capabilityType));
    for (const n of state.neurons) for (const c of n.capabilities) types.add(c.type);
    const sorted = [...types].sort();
    // Rebuilt only when the set changes: an open select would otherwise close under the user.
    if (sorted.join('\n') !== capabilityOptions) {
      capabilityOptions = sorted.join('\n');
      fill($('capability-filter'), h('option', { value: '' }, 'all'),
        ...sorted.map((type) => h('option', { value: type }, type)));
      $('capability-filter').value = state.filter.capability;
    }
    const counts = { all: 0 };
    for (const task of state.tasks.values()) {
      if (!matches(task, true)) continue;
      counts.all += 1;
      counts[task.state] = (counts[task.state] || 0) + 1;
    }
    for (const chip of document.querySelectorAll('[data-state-filter]')) {
      const name = chip.getAttribute('data-state-filter');
      chip.setAttribute('aria-pressed', String(name === state.filter.state));
      chip.querySelector('.count').textContent = String(counts[name] || 0);
    }
  };

  // ---- the list ------------------------------------------------------------------------------
  const renderTasks = () => {
    const panel = $('tasks-panel');
    panel.hidden = state.taskId !== null;
    if (panel.hidden) return;
    renderFilters();
    const all = [...state.tasks.values()];
    const shown = [];
    for (let i = all.length - 1; i >= 0; i -= 1) if (matches(all[i], false)) shown.push(all[i]);
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    const from = state.page * PAGE_SIZE;
    const page = shown.slice(from, from + PAGE_SIZE);
    $('no-tasks').hidden = all.length > 0;
    $('page-range').textContent = shown.length === 0 ? (all.length ? 'no task matches' : '')
      : (from + 1) + '–' + (from + page.length) + ' of ' + shown.length;
    $('page-newer').disabled = state.page === 0;
    $('page-older').disabled = state.page >= pages - 1;
    fill(document.querySelector('#tasks tbody'), ...page.map((task) => {
      const view = leaseView(task, null);
      return h('tr', { 'data-task-id': task.taskId, 'data-key': 'row:' + task.taskId, tabindex: 0, 'aria-label': 'task ' + task.taskId + ', ' + task.state },
        h('td', { className: 'mono' }, task.taskId, task.retryOf ? h('span', { className: 'note' }, 'retry of ' + task.retryOf) : null),
        h('td', { className: 'mono' }, task.capabilityType),
        h('td', { className: 'state' }, stateCell(task)),
        h('td', { className: 'mono wide nowrap' }, task.neuronId ? task.neuronId + ' · ' + task.attempts + '/' + task.maxAttempts : '—'),
        h('td', { className: 'progress' }, progressBar(task, task.progress.last)),
        h('td', { className: 'wide' }, view ? h('span', { className: 'lease-state' + (view.reported ? ' reported' : ''), title: view.why }, view.short) : '—'),
        h('td', { className: 'when', title: new Date(task.submittedAt).toLocaleString() }, ago(task.submittedAt)),
        h('td', { className: 'outcome', title: outcomeText(task.outcome) }, outcomeText(task.outcome)));
    }));
  };
  renderers.push(renderTasks);

  const tbody = document.querySelector('#tasks tbody');
  tbody.addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-task-id]');
    if (row && !e.target.closest('a, button')) openTask(row.getAttribute('data-task-id'));
  });
  tbody.addEventListener('keydown', (e) => {
    const row = e.target.closest('tr[data-task-id]');
    if (!row) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      openTask(row.getAttribute('data-task-id'));
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (next) next.focus();
    }
  });
`;
