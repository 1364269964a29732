/**
 * The dashboard's inspector chunk: when the page is opened with `?inspect=ws://127.0.0.1:PORT`
 * (`neuron dev --inspect`), it follows the relay's XState inspection events and keeps every
 * actor the neurons report — machine, parent, status, state, last event — for the Live actors
 * panel, and each lease actor's states for the lease machine (a state the neuron reported beats
 * one inferred from the gateway). The Stately inspector stays one link away, for those online.
 */
// biome-ignore lint/complexity/noUselessStringRaw: so a backslash written here reaches the browser as is
export const INSPECT_JS = String.raw`
  const inspectUrl = new URLSearchParams(location.search).get('inspect');
  const svg = document.querySelector('svg.machine');
  const machineId = svg ? svg.getAttribute('data-machine') : 'lease';
  /** leaseId → { paths, visited } as the neuron reported it. */
  const reported = new Map();
  /** sessionId → { sessionId, parentId, machine, name, status, value, event, leaseId, taskId, order }. */
  const actors = new Map();
  let actorOrder = 0;
  /** Finished lease actors kept for the panel; older ones are forgotten (one per lease adds up). */
  const FINISHED_LEASES_KEPT = 100;
  /** Finished lease actors shown under their parent; the rest are counted. */
  const FINISHED_LEASES_SHOWN = 5;

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
  };
  const forgetOldLeases = () => {
    const finished = [...actors.values()].filter((a) => a.leaseId && a.status !== 'active');
    for (const actor of finished.slice(0, Math.max(0, finished.length - FINISHED_LEASES_KEPT))) actors.delete(actor.sessionId);
  };
  const onInspection = (event) => {
    if (!event || typeof event !== 'object' || typeof event.sessionId !== 'string') return;
    if (event.type === '@xstate.actor') {
      let definition = null;
      try { definition = JSON.parse(event.definition || 'null'); } catch {}
      const snapshot = event.snapshot || {};
      const context = snapshot.context || {};
      const isLease = definition && definition.id === machineId;
      actors.set(event.sessionId, {
        sessionId: event.sessionId,
        parentId: event.parentId,
        machine: definition && definition.id ? definition.id : null,
        name: event.name,
        // The snapshot an actor event carries is of when it was sent, not of its creation.
        status: snapshot.status || 'active',
        value: snapshot.value,
        event: null,
        leaseId: isLease ? (typeof context.leaseId === 'string' ? context.leaseId : event.name) : null,
        taskId: isLease && typeof context.taskId === 'string' ? context.taskId : null,
        order: actorOrder += 1,
      });
      if (isLease) forgetOldLeases();
    } else if (event.type === '@xstate.snapshot') {
      const actor = actors.get(event.sessionId);
      if (!actor || !event.snapshot) return;
      actor.status = event.snapshot.status || actor.status;
      actor.value = event.snapshot.value;
      if (actor.leaseId) recordLease(actor.leaseId, event.snapshot);
    } else if (event.type === '@xstate.event') {
      const actor = actors.get(event.sessionId);
      if (actor && event.event && typeof event.event.type === 'string') actor.event = event.event.type;
    } else return;
    schedule();
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

  const actorLabel = (actor) => actor.machine || actor.name || 'actor';
  const actorNode = (actor, byParent) => {
    const value = actor.value === undefined ? '' : pathsOf(actor.value, '').join(', ');
    // Helpers (promises, callbacks) only while they run: done, they say nothing more.
    const children = (byParent.get(actor.sessionId) || []).filter((c) => c.machine || c.status === 'active');
    const live = children.filter((c) => !c.leaseId || c.status === 'active');
    const finished = children.filter((c) => c.leaseId && c.status !== 'active');
    const shown = live.concat(finished.slice(-FINISHED_LEASES_SHOWN));
    const hidden = children.length - shown.length;
    const lease = actor.leaseId
      ? [' ', actor.leaseId, actor.taskId ? [' · ', h('a', { href: '#/tasks/' + encodeURIComponent(actor.taskId) }, actor.taskId)] : null]
      : null;
    return h('div', { className: 'actor ' + actor.status, 'data-machine': actorLabel(actor), 'data-session': actor.sessionId },
      h('span', { className: 'machine' }, actorLabel(actor)), lease, ' ',
      h('span', { className: 'badge' + (actor.status === 'active' ? ' registered' : actor.status === 'error' ? ' failed' : '') }, actor.status), ' ',
      h('span', { className: 'value' }, value),
      actor.event ? h('span', { className: 'meta' }, ' ← ' + actor.event) : null,
      shown.length || hidden ? h('div', { className: 'children' },
        shown.map((child) => actorNode(child, byParent)),
        hidden ? h('div', { className: 'meta' }, hidden + ' earlier leases not shown') : null) : null);
  };
  if (inspectUrl) {
    $('actors-panel').hidden = false;
    $('stately-link').href = inspectUrl.replace(/^ws/, 'http');
    connectInspector();
    renderers.push(() => {
      const box = $('actors');
      if (actors.size === 0) return;
      const byParent = new Map();
      const roots = [];
      for (const actor of [...actors.values()].sort((a, b) => a.order - b.order)) {
        if (actor.parentId && actors.has(actor.parentId)) {
          if (!byParent.has(actor.parentId)) byParent.set(actor.parentId, []);
          byParent.get(actor.parentId).push(actor);
        } else roots.push(actor);
      }
      fill(box, ...roots.map((root) => actorNode(root, byParent)));
    });
  }
`;
