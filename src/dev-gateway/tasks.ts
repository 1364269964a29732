import { ConfigError } from '../errors.js';
import { type AckFrame, NackCode, type NackFrame, type ProgressFrame } from '../protocol/frames.js';
import {
  type LeaseRecord,
  PROGRESS_KEPT,
  type ProgressRecord,
  type TaskOutcome,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from './types.js';

export interface TaskBookOptions {
  /** A task's `maxAttempts` when its spec has none. */
  maxAttempts: number;
  /** Called after every change of a task. */
  onChange: (task: TaskRecord) => void;
  leaseIdPrefix: string;
  /** The wait before redelivering a task whose `attempts`-th delivery was nacked retryable. */
  retryDelayMs: (attempts: number) => number;
}

/** Nack codes that blame the neuron, not the task: another neuron may take it at once. */
const REQUEUE_AT_ONCE: ReadonlySet<string | undefined> = new Set([
  NackCode.SHUTDOWN,
  NackCode.UNKNOWN_CAPABILITY,
  NackCode.CAPABILITY_REVOKED,
]);

/**
 * Tasks, their per-capability FIFO of pending ones, and their leases. Pure bookkeeping: no
 * I/O and no clock of its own (`now` is passed in); the hub decides who gets what.
 */
export class TaskBook {
  readonly #tasks = new Map<string, TaskRecord>();
  /** Pending tasks per capability type, oldest first. */
  readonly #queues = new Map<string, TaskRecord[]>();
  /** Every lease ever issued, so a late ack can be told 409 (reassigned) from 410 (gone). */
  readonly #leases = new Map<string, LeaseRecord>();
  readonly #active = new Map<string, LeaseRecord>();
  /** Active leases per neuron and type (`held()` is asked on every dispatch, and must be O(1)). */
  readonly #heldCounts = new Map<string, number>();
  /** Pending tasks waiting out a retry backoff (`retryAt`), not in a queue yet. */
  readonly #parked = new Set<TaskRecord>();
  readonly #options: TaskBookOptions;
  #taskSeq = 0;
  #leaseSeq = 0;

  constructor(options: TaskBookOptions) {
    this.#options = options;
  }

  /** `retryOf`: the task this one re-runs. */
  submit(spec: TaskSpec, now: number, retryOf?: string): TaskRecord {
    const taskId = spec.taskId ?? this.#nextTaskId();
    if (this.#tasks.has(taskId)) {
      throw new ConfigError('NEURON_ERR_INVALID_STATE', `dev gateway: task ${taskId} exists`);
    }
    const maxAttempts = spec.maxAttempts ?? this.#options.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new ConfigError('NEURON_ERR_INVALID_OPTIONS', 'dev gateway: maxAttempts must be >= 1');
    }
    const task: TaskRecord = {
      taskId,
      capabilityType: spec.capabilityType,
      input: spec.input,
      ...(spec.workflowId !== undefined && { workflowId: spec.workflowId }),
      ...(spec.onBehalfOf !== undefined && { onBehalfOf: spec.onBehalfOf }),
      ...(spec.leaseTtlMs !== undefined && { leaseTtlMs: spec.leaseTtlMs }),
      maxAttempts,
      state: 'pending',
      attempts: 0,
      progress: { count: 0 },
      history: [],
      submittedAt: now,
      ...(retryOf !== undefined && { retryOf }),
    };
    this.#tasks.set(taskId, task);
    this.#enqueue(task);
    return task;
  }

  get(taskId: string): TaskRecord | undefined {
    return this.#tasks.get(taskId);
  }

  all(): IterableIterator<TaskRecord> {
    return this.#tasks.values();
  }

  /** Pending tasks per capability type, oldest first. Leasing one removes it. */
  queues(): IterableIterator<[string, TaskRecord[]]> {
    return this.#queues.entries();
  }

  lease(task: TaskRecord, neuronId: string, ttlMs: number, now: number): LeaseRecord {
    this.#dequeue(task);
    this.#leaseSeq += 1;
    task.attempts += 1;
    const lease: LeaseRecord = {
      leaseId: `${this.#options.leaseIdPrefix}${this.#leaseSeq}`,
      taskId: task.taskId,
      neuronId,
      capabilityType: task.capabilityType,
      attempt: task.attempts,
      ttlMs,
      leasedAt: now,
      expiresAt: now + ttlMs,
      progress: [],
    };
    this.#leases.set(lease.leaseId, lease);
    this.#active.set(lease.leaseId, lease);
    this.#countHeld(lease, 1);
    task.history.push(lease);
    task.state = 'leased';
    task.leaseId = lease.leaseId;
    task.neuronId = neuronId;
    this.#options.onChange(task);
    return lease;
  }

  /** Any lease ever issued, ended or not. */
  getLease(leaseId: string): LeaseRecord | undefined {
    return this.#leases.get(leaseId);
  }

  /** The leases not ended yet. */
  activeLeases(): IterableIterator<LeaseRecord> {
    return this.#active.values();
  }

  isActive(leaseId: string): boolean {
    return this.#active.has(leaseId);
  }

  /** Active leases of `capabilityType` held by `neuronId`. */
  held(neuronId: string, capabilityType: string): number {
    return this.#heldCounts.get(heldKey(neuronId, capabilityType)) ?? 0;
  }

  renew(lease: LeaseRecord, now: number): void {
    lease.expiresAt = now + lease.ttlMs;
    this.#options.onChange(this.#taskOf(lease));
  }

  ack(lease: LeaseRecord, frame: AckFrame, now: number): TaskRecord {
    const outcome: TaskOutcome = {
      type: 'ack',
      output: frame.output,
      ...(frame.durationMs !== undefined && { durationMs: frame.durationMs }),
    };
    const task = this.#end(lease, 'acked', now, outcome);
    this.#settle(task, 'acked', outcome, now);
    return task;
  }

  /**
   * `retryable` goes back to pending while attempts remain, after the retry delay; once a cancel
   * was requested any nack settles the task `cancelled` (the cancel wins over a retry).
   */
  nack(lease: LeaseRecord, frame: NackFrame, now: number): TaskRecord {
    const outcome: TaskOutcome = {
      type: 'nack',
      kind: frame.kind,
      reason: frame.reason,
      ...(frame.code !== undefined && { code: frame.code }),
      ...(frame.details !== undefined && { details: frame.details }),
    };
    const task = this.#end(lease, 'nacked', now, outcome);
    if (task.cancelRequested || frame.kind === 'cancelled') {
      this.#settle(task, 'cancelled', outcome, now);
    } else if (frame.kind === 'retryable' && task.attempts < task.maxAttempts) {
      const delay = REQUEUE_AT_ONCE.has(frame.code) ? 0 : this.#options.retryDelayMs(task.attempts);
      if (delay > 0) this.#park(task, now + delay);
      else this.#enqueue(task);
    } else {
      this.#settle(task, 'failed', outcome, now);
    }
    return task;
  }

  /** A lease ended without an outcome: redeliver, unless cancelled or out of attempts. */
  reclaim(lease: LeaseRecord, reason: 'expired' | 'session-dropped', now: number): TaskRecord {
    const task = this.#end(lease, reason, now);
    if (task.cancelRequested) {
      const why = task.cancelRequested.reason;
      this.#settle(task, 'cancelled', { type: 'cancelled', ...(why && { reason: why }) }, now);
    } else if (task.attempts < task.maxAttempts) {
      this.#enqueue(task);
    } else {
      this.#settle(task, 'failed', { type: 'lease-lost', reason }, now);
    }
    return task;
  }

  progress(lease: LeaseRecord, frame: ProgressFrame, now: number): ProgressRecord {
    const task = this.#taskOf(lease);
    const update: ProgressRecord = {
      leaseId: lease.leaseId,
      ...(frame.percent !== undefined && { percent: frame.percent }),
      ...(frame.message !== undefined && { message: frame.message }),
      ...(frame.data !== undefined && { data: frame.data }),
      ...(frame.sentAt !== undefined && { sentAt: frame.sentAt }),
      at: now,
    };
    task.progress = { count: task.progress.count + 1, last: update };
    lease.progress.push(update);
    if (lease.progress.length > PROGRESS_KEPT) {
      lease.progress.shift();
      lease.progressDropped = (lease.progressDropped ?? 0) + 1;
    }
    this.#options.onChange(task);
    return update;
  }

  /**
   * A pending task is cancelled at once; for a leased one the request is recorded and its
   * lease returned, for the caller to send the `cancel` frame. Settled tasks are left alone.
   */
  cancel(task: TaskRecord, reason: string | undefined, now: number): LeaseRecord | undefined {
    if (task.state === 'pending') {
      this.#settle(task, 'cancelled', { type: 'cancelled', ...(reason && { reason }) }, now);
      return undefined;
    }
    if (task.state !== 'leased') return undefined;
    task.cancelRequested = { ...(reason && { reason }), at: now };
    this.#options.onChange(task);
    return this.#leases.get(task.leaseId!);
  }

  /** Queues the parked tasks whose `retryAt` has come; returns the next `retryAt` still ahead. */
  releaseDue(now: number): number | undefined {
    let next: number | undefined;
    for (const task of [...this.#parked]) {
      if (task.retryAt! <= now) this.#enqueue(task);
      else next = Math.min(next ?? task.retryAt!, task.retryAt!);
    }
    return next;
  }

  #park(task: TaskRecord, retryAt: number): void {
    task.state = 'pending';
    task.retryAt = retryAt;
    this.#parked.add(task);
    this.#options.onChange(task);
  }

  #end(lease: LeaseRecord, end: LeaseRecord['end'], now: number, outcome?: TaskOutcome) {
    lease.end = end;
    lease.endedAt = now;
    if (outcome) lease.outcome = outcome;
    if (this.#active.delete(lease.leaseId)) this.#countHeld(lease, -1);
    return this.#taskOf(lease);
  }

  #countHeld(lease: LeaseRecord, delta: 1 | -1): void {
    const key = heldKey(lease.neuronId, lease.capabilityType);
    const count = (this.#heldCounts.get(key) ?? 0) + delta;
    if (count === 0) this.#heldCounts.delete(key);
    else this.#heldCounts.set(key, count);
  }

  #settle(task: TaskRecord, state: TaskState, outcome: TaskOutcome, now: number): void {
    // Only a pending task is queued: scanning a long queue for every settled lease is O(n).
    if (task.state === 'pending') this.#dequeue(task);
    this.#unpark(task);
    task.state = state;
    task.outcome = outcome;
    task.settledAt = now;
    this.#options.onChange(task);
  }

  #unpark(task: TaskRecord): void {
    if (this.#parked.delete(task)) delete task.retryAt;
  }

  #enqueue(task: TaskRecord): void {
    this.#unpark(task);
    task.state = 'pending';
    const queue = this.#queues.get(task.capabilityType);
    if (queue) queue.push(task);
    else this.#queues.set(task.capabilityType, [task]);
    this.#options.onChange(task);
  }

  #dequeue(task: TaskRecord): void {
    const queue = this.#queues.get(task.capabilityType);
    const index = queue?.indexOf(task) ?? -1;
    // The head is the usual case: shift() is O(1) where splice() moves the whole queue.
    if (index === 0) queue!.shift();
    else if (index > 0) queue!.splice(index, 1);
  }

  #taskOf(lease: LeaseRecord): TaskRecord {
    return this.#tasks.get(lease.taskId)!;
  }

  #nextTaskId(): string {
    do this.#taskSeq += 1;
    while (this.#tasks.has(`t-${this.#taskSeq}`));
    return `t-${this.#taskSeq}`;
  }
}

function heldKey(neuronId: string, capabilityType: string): string {
  return `${neuronId}\n${capabilityType}`;
}
