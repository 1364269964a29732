/**
 * The dashboard's console chunk: the Neurons panel with its actions (revoke a capability,
 * disconnect a neuron), a task's actions (cancel, retry), the New task dialog (a capability
 * picker, a JSON input checked against the capability's input schema by the gateway as you type,
 * and submitted anyway if you insist: that is how a schema-mismatch is tried), and the keys.
 */
// biome-ignore lint/complexity/noUselessStringRaw: so a backslash written here reaches the browser as is
export const CONSOLE_JS = String.raw`
  // ---- neurons -------------------------------------------------------------------------------
  const connectionOf = (n) => {
    if (state.gateway !== 'live') return ['unknown', 'unknown (gateway unreachable)'];
    if (n.stalled) return ['stalled', 'stalled'];
    if (!n.streamOpen) return n.sessionId ? ['session-kept', 'disconnected · session kept'] : ['disconnected', 'disconnected'];
    if (!n.sessionId) return ['connected', 'connected · not registered'];
    if (!n.dispatchable) return ['draining', 'registered · refusing leases'];
    return ['registered', 'registered'];
  };
  renderers.push(() => {
    const box = $('neurons');
    const live = state.gateway === 'live';
    box.classList.toggle('stale', !live);
    if (state.neurons.length === 0) {
      fill(box, h('p', { className: 'empty' }, live ? 'No neuron has connected yet.' : 'No neuron known.'));
      return;
    }
    fill(box, ...state.neurons.map((n) => {
      const [cls, label] = connectionOf(n);
      const sdk = n.sdk ? n.sdk.name + ' ' + n.sdk.version : '';
      return h('div', { className: 'neuron', 'data-neuron-id': n.neuronId },
        h('div', { className: 'head' }, h('span', { className: 'id' }, n.neuronId), h('span', { className: 'badge connection ' + cls }, label),
          live && n.streamOpen ? h('button', { type: 'button', 'data-disconnect': n.neuronId, 'data-key': 'disconnect:' + n.neuronId, title: 'Send a disconnect frame and end its stream; it reconnects' }, 'Disconnect') : null),
        h('div', { className: 'meta' }, [n.sessionId ? 'session ' + n.sessionId : 'no session', sdk, n.identity ? n.identity.kind + ' ' + n.identity.sub : ''].filter(Boolean).join(' · ')),
        h('ul', {}, n.capabilities.map((c) => h('li', { className: c.revoked ? 'revoked' : '', 'data-capability': c.type, title: c.description || '' },
          h('span', { className: 'type' }, c.type),
          h('span', { className: 'meta' }, (c.scope === 'any' ? 'any' : 'for ' + c.scope.onBehalfOf) + ' · ' + c.held + '/' + c.concurrency + ' held' + (c.revoked ? ' · revoked' : '')),
          live && !c.revoked && n.sessionId ? h('button', { type: 'button', className: 'danger', 'data-revoke-capability': c.type, 'data-neuron': n.neuronId, 'data-key': 'revoke:' + n.neuronId + ':' + c.type, 'aria-label': 'Revoke ' + c.type + ' from ' + n.neuronId }, 'Revoke') : null))));
    }));
  });

  // ---- actions -------------------------------------------------------------------------------
  const act = async (path, body, done) => {
    const answer = await postJson(path, body);
    if (answer.ok) done(answer.body);
    else say(answer.message, false);
    refreshNeurons();
  };
  document.body.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (!button) return;
    const cancel = button.getAttribute('data-cancel');
    const retry = button.getAttribute('data-retry');
    const revoke = button.getAttribute('data-revoke-capability');
    const disconnect = button.getAttribute('data-disconnect');
    if (cancel) {
      act('/__dev__/tasks/' + encodeURIComponent(cancel) + '/cancel', { reason: 'cancelled from the dashboard' }, (task) => {
        upsertTask(task);
        say(task.state === 'cancelled' ? 'Cancelled ' + cancel + '.' : 'Cancel requested for ' + cancel + ': it settles when ' + task.neuronId + ' answers.');
      });
    } else if (retry) {
      act('/__dev__/tasks/' + encodeURIComponent(retry) + '/retry', {}, ({ task, servedBy }) => {
        upsertTask(task);
        say('Retrying ' + retry + ' as ' + task.taskId + (servedBy ? '.' : ': no neuron serves ' + task.capabilityType + ' now, it waits.'));
        openTask(task.taskId);
      });
    } else if (revoke) {
      const neuronId = button.getAttribute('data-neuron');
      act('/__dev__/capabilities/revoke', { capabilityType: revoke, neuronId, reason: 'revoked from the dashboard' },
        () => say('Revoked ' + revoke + ' from ' + neuronId + ': no more of it goes there until it registers again.'));
    } else if (disconnect) {
      act('/__dev__/neurons/' + encodeURIComponent(disconnect) + '/disconnect', { reason: 'disconnected from the dashboard' },
        () => say('Disconnected ' + disconnect + '; it reconnects on its own.'));
    }
  });

  // ---- new task ------------------------------------------------------------------------------
  const dialog = $('submit-dialog');
  const typeInput = $('submit-type');
  const inputBox = $('submit-input');
  /** The input as the dialog last filled it in: replaced by a new example until the user edits it. */
  let filledIn = 'null';
  const capabilityInfo = (type) => {
    for (const n of state.neurons) for (const c of n.capabilities) if (c.type === type && !c.revoked) return c;
    return null;
  };
  /** A value that has what the schema requires: a starting point, not a valid input guaranteed. */
  const example = (schema, depth) => {
    if (!schema || typeof schema !== 'object' || depth > 4) return null;
    if ('default' in schema) return schema.default;
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'object' || schema.properties) {
      const value = {};
      for (const key of schema.required || []) value[key] = example((schema.properties || {})[key], depth + 1);
      return value;
    }
    if (type === 'array') return [];
    if (type === 'string') return '';
    if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 0;
    if (type === 'boolean') return false;
    return null;
  };
  let checkTimer = null;
  let checking = 0;
  const check = () => {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, 250);
  };
  const showCheck = (cls, text, errors) => {
    const box = $('submit-check');
    box.className = 'check ' + cls;
    fill(box, text, errors && errors.length ? h('ul', {}, errors.map((e) => h('li', {}, h('span', { className: 'mono' }, e.path || '/'), ' ' + e.message))) : null);
  };
  async function runCheck() {
    const mine = ++checking;
    const type = typeInput.value.trim();
    const cap = capabilityInfo(type);
    const served = servedBy(type, $('submit-behalf').value.trim() || undefined);
    $('submit-about').textContent = !type ? 'Pick a capability a neuron serves, or type any owner/package type.'
      : (cap && cap.description ? cap.description + ' · ' : '') + (served ? 'served by ' + served + ' neuron' + (served === 1 ? '' : 's') : 'no neuron serves it now: the task will wait for one');
    let input;
    try {
      input = JSON.parse(inputBox.value);
    } catch (err) {
      $('submit-go').disabled = true;
      return showCheck('bad', 'Not JSON: ' + err.message);
    }
    $('submit-go').disabled = false;
    $('submit-go').textContent = 'Submit';
    if (!type) return showCheck('', '');
    const answer = await postJson('/__dev__/capabilities/check-input', { capabilityType: type, input });
    if (mine !== checking) return;
    if (!answer.ok) return showCheck('bad', answer.message);
    const result = answer.body;
    if (!result.checked) return showCheck('', result.problem ? 'Not checked: ' + result.problem : 'No input schema advertised for ' + type + ': not checked.');
    if (result.valid) return showCheck('ok', '✓ matches the input schema ' + result.neuronId + ' advertises.');
    $('submit-go').textContent = 'Submit anyway';
    showCheck('bad', 'Does not match the input schema ' + result.neuronId + ' advertises (the neuron will nack it schema-mismatch):', result.errors);
  }
  const fillExample = () => {
    const cap = capabilityInfo(typeInput.value.trim());
    if (inputBox.value !== filledIn || !cap || !cap.inputSchema) return;
    filledIn = JSON.stringify(example(cap.inputSchema, 0), null, 2);
    inputBox.value = filledIn;
  };
  const openSubmit = () => {
    const served = [...new Set(state.neurons.flatMap((n) => n.capabilities.filter((c) => !c.revoked).map((c) => c.type)))].sort();
    fill($('submit-types'), ...served.map((type) => h('option', { value: type })));
    if (!typeInput.value) typeInput.value = state.filter.capability || served[0] || '';
    $('submit-error').textContent = '';
    fillExample();
    dialog.showModal();
    typeInput.focus();
    runCheck();
  };
  $('new-task').addEventListener('click', openSubmit);
  $('no-tasks-new').addEventListener('click', openSubmit);
  $('submit-cancel').addEventListener('click', () => dialog.close());
  typeInput.addEventListener('input', () => { fillExample(); check(); });
  inputBox.addEventListener('input', check);
  $('submit-behalf').addEventListener('input', check);
  $('submit-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    let input;
    try { input = JSON.parse(inputBox.value); } catch { return; }
    const spec = { capabilityType: typeInput.value.trim(), input };
    const behalf = $('submit-behalf').value.trim();
    if (behalf) spec.onBehalfOf = behalf;
    const attempts = $('submit-attempts').value.trim();
    if (attempts) spec.maxAttempts = Number(attempts);
    const answer = await postJson('/__dev__/tasks', spec);
    if (!answer.ok) {
      $('submit-error').textContent = answer.message;
      return;
    }
    dialog.close();
    const { task, servedBy: served } = answer.body;
    upsertTask(task);
    say('Submitted ' + task.taskId + (served ? '.' : ': no neuron serves ' + task.capabilityType + ' now, it waits for one.'));
    openTask(task.taskId);
  });

  // ---- keys ----------------------------------------------------------------------------------
  document.addEventListener('keydown', (e) => {
    if (dialog.open || e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.closest && e.target.closest('input, textarea, select');
    if (e.key === 'Escape' && state.taskId !== null && !typing) {
      location.hash = '#/';
    } else if (typing) {
      return;
    } else if (e.key === '/') {
      e.preventDefault();
      if (state.taskId !== null) location.hash = '#/';
      $('search').focus();
    } else if (e.key === 'n') {
      e.preventDefault();
      openSubmit();
    }
  });
`;
