/** What `neuron dev` logs: one line per gateway event a neuron author cares about. */
import type { DevGateway } from '../dev-gateway/gateway.js';
import type { TaskRecord } from '../dev-gateway/types.js';
import type { EffectiveCapability } from '../protocol/frames.js';
import type { LineLogger } from './log.js';

/** Subscribes `logger` to `gw`'s events; returns the unsubscribe function. */
export function logGatewayEvents(gw: DevGateway, logger: LineLogger): () => void {
  const { log } = logger;
  /** The last state seen per task, to tell a submission and a retry from other changes. */
  const seen = new Map<string, { state: TaskRecord['state']; cancelRequested: boolean }>();
  const offs = [
    gw.on('stream:open', ({ neuronId, resumed, replayed }) =>
      log('info', 'connected', {
        neuron: neuronId,
        resumed: resumed || undefined,
        replayed: replayed || undefined,
      }),
    ),
    gw.on('stream:close', ({ neuronId, reason }) =>
      log('info', 'disconnected', { neuron: neuronId, reason }),
    ),
    gw.on('registered', ({ neuronId, sessionId, capabilities, rejected }) => {
      log('info', 'registered', {
        neuron: neuronId,
        session: sessionId,
        capabilities: capabilities.map(describeCapability).join(',') || 'none',
      });
      for (const { type, code, message } of rejected) {
        log('warn', 'capability rejected', { neuron: neuronId, type, code, message });
      }
    }),
    gw.on('session:dropped', ({ neuronId, sessionId }) =>
      log('warn', 'session dropped', { neuron: neuronId, session: sessionId }),
    ),
    gw.on('task', (task) => {
      const before = seen.get(task.taskId);
      const cancelRequested = task.cancelRequested !== undefined;
      seen.set(task.taskId, { state: task.state, cancelRequested });
      if (!before) {
        log('info', 'submitted', {
          task: task.taskId,
          type: task.capabilityType,
          onBehalfOf: task.onBehalfOf,
          input: task.input,
        });
      } else if (before.state === 'leased' && task.state === 'pending') {
        const last = task.history.at(-1);
        const why = last?.outcome?.type === 'nack' ? last.outcome.reason : last?.end;
        const retry = task.retryAt === undefined ? 'now' : `in ${task.retryAt - Date.now()}ms`;
        log('warn', 'requeued', { task: task.taskId, attempts: task.attempts, reason: why, retry });
      } else if (cancelRequested && !before.cancelRequested && task.state === 'leased') {
        log('info', 'cancel requested', { task: task.taskId, neuron: task.neuronId });
      }
    }),
    gw.on('lease', ({ neuronId, leaseId, taskId, attempt }) => {
      const task = gw.task(taskId);
      log('info', 'leased', {
        task: taskId,
        type: task?.capabilityType,
        neuron: neuronId,
        attempt: task ? `${attempt}/${task.maxAttempts}` : attempt,
        lease: leaseId,
      });
    }),
    gw.on('progress', ({ taskId, update }) =>
      log('info', 'progress', {
        task: taskId,
        percent: update.percent === undefined ? undefined : `${Math.round(update.percent)}%`,
        message: update.message,
      }),
    ),
    gw.on('lease:reclaimed', ({ neuronId, leaseId, taskId, reason }) =>
      log('warn', 'lease lost', { task: taskId, neuron: neuronId, lease: leaseId, reason }),
    ),
    gw.on('task:settled', (task) => logOutcome(logger, task)),
    gw.on('identity:device-code', ({ userCode, status, clientName, capabilities }) => {
      const base = { user_code: userCode, name: clientName };
      if (status === 'pending') {
        const wants = capabilities.join(',') || undefined;
        log('info', 'enrollment requested', {
          ...base,
          capabilities: wants,
          approve: `neuron approve ${userCode}`,
        });
      } else if (status === 'approved') log('info', 'enrollment approved', base);
      else if (status === 'denied') log('warn', 'enrollment denied', base);
    }),
    gw.on('identity:client', ({ clientId, clientName, revokedAt, revokeReason, neurons }) => {
      if (revokedAt === undefined) {
        log('info', 'client enrolled', { client: clientId, name: clientName });
      } else {
        const closed = neurons.length > 0 ? neurons.join(',') : undefined;
        log('warn', 'client revoked', {
          client: clientId,
          name: clientName,
          reason: revokeReason,
          closed,
        });
      }
    }),
    gw.on('request', ({ method, path, url, status, neuronId }) => {
      if (status < 400) return;
      log('warn', 'refused request', {
        method,
        path: path === 'unknown' ? url : path,
        status,
        neuron: neuronId,
        hint:
          status === 401 ? 'the neuron sent no token or a wrong one (BIGBRAIN_TOKEN)' : undefined,
      });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

function logOutcome({ log }: LineLogger, task: TaskRecord): void {
  const outcome = task.outcome;
  const base = { task: task.taskId, neuron: task.neuronId };
  if (outcome?.type === 'ack') {
    const duration = outcome.durationMs === undefined ? undefined : `${outcome.durationMs}ms`;
    log('info', 'acked', { ...base, duration, output: outcome.output });
  } else if (outcome?.type === 'nack') {
    log(task.state === 'cancelled' ? 'warn' : 'error', task.state, {
      ...base,
      nack: outcome.kind,
      code: outcome.code,
      reason: outcome.reason,
      phase: outcome.details?.phase,
    });
  } else if (outcome?.type === 'lease-lost') {
    log('error', 'failed', { ...base, reason: `lease ${outcome.reason}` });
  } else {
    log('warn', 'cancelled', { ...base, reason: outcome?.reason });
  }
}

/** `examples/echo(any,x4)`, `acme/mail(user:alice,x1)`. */
function describeCapability({ type, scope, concurrency }: EffectiveCapability): string {
  const who = scope === undefined || scope === 'any' ? 'any' : `user:${scope.onBehalfOf}`;
  return `${type}(${who}${concurrency === undefined ? '' : `,x${concurrency}`})`;
}
