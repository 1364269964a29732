/**
 * Every span, attribute and metric name the SDK reports through `@opentelemetry/api`. The
 * messaging semantic conventions (a lease is a message a consumer processes) are followed where
 * they fit; what is BigBrain's own is under `bigbrain.` (attributes) and `neuron.` (metrics). The
 * README's "Operations" section lists the same names with their meaning.
 */

/** The instrumentation scope: tracer and meter name. */
export const SCOPE = '@holokai/neuron-sdk';

export const Attr = {
  /** `bigbrain`: the messaging system. */
  MESSAGING_SYSTEM: 'messaging.system',
  /** `process`: what a consumer does with a message. */
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  /** The capability type: where the task was addressed. */
  MESSAGING_DESTINATION: 'messaging.destination.name',
  /** The lease id: one delivery of a task. */
  MESSAGING_MESSAGE_ID: 'messaging.message.id',
  /** The neuron id: the consumer. */
  MESSAGING_CONSUMER_ID: 'messaging.consumer.group.name',
  LEASE_ID: 'bigbrain.lease.id',
  TASK_ID: 'bigbrain.task.id',
  TASK_ATTEMPT: 'bigbrain.task.attempt',
  CAPABILITY: 'bigbrain.capability.type',
  /** `ack`, or the nack kind (`retryable`, `terminal`, `schema-mismatch`, `cancelled`). */
  OUTCOME: 'bigbrain.outcome',
  /** The nack `code`, when it has one. */
  OUTCOME_CODE: 'bigbrain.outcome.code',
  /** How the lease ended: `delivered`, `not-held`, `expired`, `rejected`, `lost`. */
  SETTLEMENT: 'bigbrain.lease.settlement',
  /** The outcome POST try, from 1. */
  POST_ATTEMPT: 'bigbrain.post.attempt',
  /** The error's class, for a failed span (semantic conventions' `error.type`). */
  ERROR_TYPE: 'error.type',
} as const;

export const SpanName = {
  /** The lease, from its frame to its settlement: `process <capabilityType>`, kind CONSUMER. */
  process: (capabilityType: string) => `process ${capabilityType}`,
  VALIDATE: 'validate input',
  HANDLE: 'handle',
  /** One try of the outcome POST: `ack` or `nack`, kind CLIENT. */
  post: (kind: 'ack' | 'nack') => `send ${kind}`,
} as const;

export const Metric = {
  LEASES_RECEIVED: 'neuron.leases.received',
  LEASES_SETTLED: 'neuron.leases.settled',
  HANDLER_DURATION: 'neuron.handler.duration',
  LEASE_DURATION: 'neuron.lease.duration',
  LEASES_RUNNING: 'neuron.leases.running',
  LEASES_QUEUED: 'neuron.leases.queued',
  OUTCOME_RETRIES: 'neuron.outcome.retries',
  RECONNECTS: 'neuron.reconnects',
  HEARTBEAT_RTT: 'neuron.heartbeat.duration',
  LOOP_DELAY: 'neuron.event_loop.delay',
  LOOP_BLOCKED: 'neuron.event_loop.blocked',
} as const;
