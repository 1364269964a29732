/**
 * The dashboard's task detail chunk (`#/tasks/<taskId>`): the input, every attempt with its lease,
 * neuron, times, progress history and outcome (reason, code, schema errors), the waits between
 * attempts, the output, and the lease machine of the chosen attempt — as the neuron reported it
 * through the inspector, or inferred from what the gateway saw, and saying which.
 */
// biome-ignore lint/complexity/noUselessStringRaw: so a backslash written here reaches the browser as is
export const DETAIL_JS = String.raw`
  const BEFORE_RUN = ['received', 'validating', 'queued'];
  /** The gateway's view of a lease, put on the machine: certain where it can be, else a range. */
  const inferred = (task, lease, latest) => {
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
    if (latest && task.cancelRequested) {
      return { possible: ['executing.cancelling', 'nacking'], visited: BEFORE_RUN, short: 'cancelling | nacking?',
        why: 'inferred from the gateway: cancel sent, no answer yet' };
    }
    if (lease.progress.length > 0) {
      return { current: ['executing.running'], visited: BEFORE_RUN, short: 'executing?',
        why: 'inferred from the gateway: progress arrived, so its handler runs (or has just finished)' };
    }
    return { possible: BEFORE_RUN.concat('executing'), short: 'received … executing?',
      why: 'inferred from the gateway: leased, nothing heard back yet' };
  };
  /** The lease machine of one attempt (null: the latest), reported if the neuron said, else inferred. */
  function leaseView(task, attempt) {
    const index = attempt === null ? task.history.length - 1 : attempt - 1;
    const lease = task.history[index];
    if (!lease) return null;
    const mine = reported.get(lease.leaseId);
    if (mine) {
      return { lease, current: mine.paths, visited: mine.visited, reported: true,
        short: mine.paths.join(', '), why: 'reported by neuron ' + lease.neuronId + ' through the inspector' };
    }
    return Object.assign({ lease, reported: false }, inferred(task, lease, index === task.history.length - 1));
  }
  const mark = (path, cls) => {
    const parts = path.split('.');
    for (let i = parts.length; i > 0; i -= 1) {
      const el = svg && svg.querySelector('[data-state="' + CSS.escape(parts.slice(0, i).join('.')) + '"]');
      if (el && !el.classList.contains('current')) el.classList.add(cls);
    }
  };
  const renderDiagram = (task) => {
    if (!svg) return;
    for (const el of svg.querySelectorAll('.state')) el.classList.remove('current', 'possible', 'visited');
    const view = leaseView(task, state.attempt);
    if (!view) {
      $('diagram-lease').textContent = task.taskId + ': no lease yet (pending)';
      $('diagram-source').textContent = 'The task waits for a neuron that serves ' + task.capabilityType + '.';
      return;
    }
    $('diagram-lease').textContent = 'attempt ' + view.lease.attempt + ' · lease ' + view.lease.leaseId + ' · task ' + task.taskId;
    $('diagram-source').textContent = view.why;
    for (const p of view.current || []) mark(p, 'current');
    for (const p of view.possible || []) mark(p, 'possible');
    for (const p of view.visited || []) mark(p, 'visited');
  };

  const fact = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
  const taskLink = (taskId) => h('a', { href: '#/tasks/' + encodeURIComponent(taskId), className: 'mono' }, taskId);
  const END_TEXT = { acked: 'acked', nacked: 'nacked', expired: 'expired (no heartbeat renewed it)', 'session-dropped': "lost (its neuron's session was dropped)" };

  const attemptCard = (task, lease, selected) => {
    const until = lease.endedAt === undefined ? 'running for ' + duration(Date.now() - lease.leasedAt) + ', expires ' + clock(lease.expiresAt)
      : clock(lease.endedAt) + ' (' + duration(lease.endedAt - lease.leasedAt) + ')';
    const o = lease.outcome;
    const errors = o && o.type === 'nack' && o.details ? o.details.errors || [] : [];
    return h('div', { className: 'attempt' + (selected ? ' selected' : ''), 'data-attempt': lease.attempt },
      h('div', { className: 'head' },
        h('strong', {}, 'Attempt ' + lease.attempt),
        h('span', { className: 'mono meta' }, 'lease ' + lease.leaseId),
        h('span', { className: 'mono' }, lease.neuronId),
        h('span', { className: 'badge ' + (lease.end === 'acked' ? 'acked' : lease.end ? 'failed' : 'leased') }, lease.end ? END_TEXT[lease.end] : 'running'),
        h('button', { type: 'button', 'data-show-attempt': lease.attempt, 'data-key': 'attempt:' + lease.attempt, 'aria-pressed': String(selected) }, 'Lease machine')),
      h('div', { className: 'meta' }, 'leased ' + clock(lease.leasedAt) + ' → ' + until + ' · TTL ' + duration(lease.ttlMs)),
      lease.progress.length ? h('ol', { className: 'progress-history', 'aria-label': 'progress of attempt ' + lease.attempt },
        lease.progressDropped ? h('li', { className: 'meta' }, lease.progressDropped + ' earlier updates not kept') : null,
        lease.progress.map((p) => h('li', {},
          h('span', { className: 'meta' }, clock(p.at)),
          h('span', {}, typeof p.percent === 'number' ? Math.round(p.percent) + '%' : ''),
          h('span', {}, (p.message || '') + (p.data !== undefined ? ' ' + JSON.stringify(p.data) : ''))))) : null,
      o ? h('div', { className: 'outcome-line' },
        o.type === 'nack' ? [h('strong', {}, o.kind + ' nack'), o.code ? [' ', h('code', { className: 'code' }, o.code)] : null,
          o.details && o.details.phase ? ' (' + o.details.phase + ')' : null, ': ', h('span', { className: 'reason' }, o.reason)]
          : outcomeText(o)) : null,
      errors.length ? h('table', { className: 'schema-errors' }, h('thead', {}, h('tr', {}, h('th', {}, 'path'), h('th', {}, 'schema error'))),
        h('tbody', {}, errors.map((e) => h('tr', {}, h('td', { className: 'mono' }, e.path || '/'), h('td', {}, e.message))))) : null);
  };

  const renderDetail = () => {
    const panel = $('detail-panel');
    panel.hidden = state.taskId === null;
    if (panel.hidden) return;
    const task = state.tasks.get(state.taskId);
    $('detail-title').textContent = state.taskId;
    const box = $('detail');
    if (!task) {
      fill($('detail-actions'));
      fill(box, h('p', { className: 'empty' }, state.gateway === 'connecting' ? 'Loading…' :
        'No task ' + state.taskId + ' on this gateway' + (state.restartedAt ? ': it restarted at ' + clock(state.restartedAt) + ', and the tasks of its previous run are gone.' : '.')));
      return;
    }
    const settled = task.state === 'acked' || task.state === 'failed' || task.state === 'cancelled';
    fill($('detail-actions'),
      !settled ? h('button', { type: 'button', className: 'danger', 'data-cancel': task.taskId, 'data-key': 'cancel', disabled: Boolean(task.cancelRequested) }, task.cancelRequested ? 'Cancel requested' : 'Cancel') : null,
      task.state === 'failed' || task.state === 'cancelled' ? h('button', { type: 'button', className: 'primary', 'data-retry': task.taskId, 'data-key': 'retry' }, 'Retry') : null);
    const note = stateNote(task);
    const retries = [...state.tasks.values()].filter((t) => t.retryOf === task.taskId);
    const cards = [];
    task.history.forEach((lease, i) => {
      const selected = (state.attempt === null ? task.history.length : state.attempt) === lease.attempt;
      cards.push(attemptCard(task, lease, selected));
      const next = task.history[i + 1];
      if (next && lease.endedAt !== undefined) cards.push(h('p', { className: 'gap' }, '↓ waited ' + duration(next.leasedAt - lease.endedAt) + ' before attempt ' + next.attempt));
    });
    if (task.state === 'pending' && task.retryAt !== undefined) {
      const wait = Math.max(0, task.retryAt - Date.now());
      cards.push(h('p', { className: 'gap retry-wait' }, '↓ attempt ' + (task.attempts + 1) + ' in ' + (wait / 1000).toFixed(1) + ' s (the retry backoff ends at ' + clock(task.retryAt) + ')'));
    }
    fill(box,
      h('dl', { className: 'facts' },
        fact('capability', h('span', { className: 'mono' }, task.capabilityType)),
        fact('state', h('span', { className: 'badge ' + task.state }, task.state), note ? h('span', { className: 'note ' + note[0] }, note[1]) : null),
        fact('attempts', task.attempts + ' of ' + task.maxAttempts),
        fact('submitted', clock(task.submittedAt) + ' (' + ago(task.submittedAt) + ')'),
        task.settledAt !== undefined ? fact('settled', clock(task.settledAt) + ', ' + duration(task.settledAt - task.submittedAt) + ' after submission') : null,
        task.onBehalfOf ? fact('on behalf of', h('span', { className: 'mono' }, task.onBehalfOf)) : null,
        task.workflowId ? fact('workflow', h('span', { className: 'mono' }, task.workflowId)) : null,
        task.leaseTtlMs ? fact('lease TTL', duration(task.leaseTtlMs)) : null,
        task.retryOf ? fact('retry of', taskLink(task.retryOf)) : null,
        retries.length ? fact('retried as', retries.map((t, i) => [i ? ', ' : '', taskLink(t.taskId)])) : null,
        task.cancelRequested ? fact('cancel requested', clock(task.cancelRequested.at) + (task.cancelRequested.reason ? ': ' + task.cancelRequested.reason : '')) : null,
        task.outcome && settled ? fact('outcome', outcomeText(task.outcome)) : null),
      h('h3', {}, 'Input'), h('pre', { className: 'input' }, pretty(task.input)),
      task.outcome && task.outcome.type === 'ack' ? [h('h3', {}, 'Output'), h('pre', { className: 'output' }, pretty(task.outcome.output ?? null))] : null,
      h('h3', {}, 'Attempts'),
      cards.length ? cards : h('p', { className: 'empty' }, 'Not delivered yet.'));
    renderDiagram(task);
  };
  renderers.push(renderDetail);
  $('detail-panel').addEventListener('click', (e) => {
    const show = e.target.closest('[data-show-attempt]');
    if (!show) return;
    state.attempt = Number(show.getAttribute('data-show-attempt'));
    schedule();
  });
`;
