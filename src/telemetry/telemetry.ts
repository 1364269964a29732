/**
 * Traces and metrics through `@opentelemetry/api` only: with no OpenTelemetry SDK registered every
 * call lands on the API's no-op implementations. One CONSUMER span per lease, from its frame to
 * its settlement, with child spans for input validation, the handler (which runs inside it, so a
 * handler's own spans nest under the lease) and each outcome POST try.
 */
import {
  type Attributes,
  type BatchObservableCallback,
  type Context,
  type Counter,
  context,
  type Histogram,
  isSpanContextValid,
  metrics,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Outcome, Settlement } from '../../machines/lease.js';
import { SDK_VERSION } from '../version.js';
import { Attr, Metric, SCOPE, SpanName } from './names.js';

export interface LeaseArrival {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  attempt: number | undefined;
}

export interface LeaseSettlement {
  leaseId: string;
  capabilityType: string;
  settlement: Settlement;
  outcome: Outcome | undefined;
}

/** Running and queued leases of one capability, for the gauges. */
export interface CapabilityLoad {
  capabilityType: string;
  running: number;
  queued: number;
}

interface LeaseTrace {
  /**
   * The lease's span and the context that carries it, when there is a trace to make: a span that
   * records or carries a valid trace id. With no SDK registered there is none, and the lease's
   * child spans are skipped too (no span, context or closure held per lease in flight).
   */
  traced: { span: Span; context: Context } | undefined;
  receivedAt: number;
  posts: number;
}

/** A handler's span and the context that carries it. */
export interface HandleTrace {
  span: Span;
  context: Context;
}

interface Instruments {
  received: Counter;
  settled: Counter;
  handlerDuration: Histogram;
  leaseDuration: Histogram;
  retries: Counter;
  reconnects: Counter;
  heartbeat: Histogram;
  loopDelay: Histogram;
  loopBlocked: Counter;
}

const seconds = (ms: number): number => ms / 1000;

export class NeuronTelemetry {
  readonly #neuronId: string;
  readonly #tracer: Tracer;
  readonly #leases = new Map<string, LeaseTrace>();
  #instruments: Instruments | undefined;
  #unobserve: (() => void) | undefined;

  constructor(neuronId: string) {
    this.#neuronId = neuronId;
    // The global provider is a proxy: an SDK registered after this still gets the spans.
    this.#tracer = trace.getTracer(SCOPE, SDK_VERSION);
  }

  /**
   * Makes the instruments, from the meter provider registered now (the metrics API has no proxy),
   * and reports the running and queued gauges from `load` on each collection.
   */
  start(load: () => CapabilityLoad[]): void {
    if (this.#instruments) return;
    const meter = metrics.getMeter(SCOPE, SDK_VERSION);
    const running = meter.createObservableGauge(Metric.LEASES_RUNNING, {
      description: 'Leases whose handler is running, per capability',
    });
    const queued = meter.createObservableGauge(Metric.LEASES_QUEUED, {
      description: 'Leases waiting for a free slot, per capability',
    });
    const observe: BatchObservableCallback = (result) => {
      for (const c of load()) {
        const attributes = { [Attr.CAPABILITY]: c.capabilityType };
        result.observe(running, c.running, attributes);
        result.observe(queued, c.queued, attributes);
      }
    };
    meter.addBatchObservableCallback(observe, [running, queued]);
    this.#unobserve = () => meter.removeBatchObservableCallback(observe, [running, queued]);
    this.#instruments = {
      received: meter.createCounter(Metric.LEASES_RECEIVED, {
        description: 'Lease frames accepted (duplicates excluded)',
      }),
      settled: meter.createCounter(Metric.LEASES_SETTLED, {
        description: 'Leases settled, by capability, outcome and settlement',
      }),
      handlerDuration: meter.createHistogram(Metric.HANDLER_DURATION, {
        description: 'How long handlers ran',
        unit: 's',
      }),
      leaseDuration: meter.createHistogram(Metric.LEASE_DURATION, {
        description: 'From the lease frame to its settlement',
        unit: 's',
      }),
      retries: meter.createCounter(Metric.OUTCOME_RETRIES, {
        description: 'Outcome POSTs tried again after a transient failure',
      }),
      reconnects: meter.createCounter(Metric.RECONNECTS, {
        description: 'Reconnects of the event stream',
      }),
      heartbeat: meter.createHistogram(Metric.HEARTBEAT_RTT, {
        description: 'Round trip of a heartbeat POST',
        unit: 's',
      }),
      loopDelay: meter.createHistogram(Metric.LOOP_DELAY, {
        description: 'Event-loop delay, sampled',
        unit: 's',
      }),
      loopBlocked: meter.createCounter(Metric.LOOP_BLOCKED, {
        description: 'Episodes of a loop blocked long enough to put leases at risk',
      }),
    };
  }

  /** Ends what is still open (a lease abandoned by a failed actor) and stops observing. */
  stop(): void {
    for (const lease of this.#leases.values()) lease.traced?.span.end();
    this.#leases.clear();
    this.#unobserve?.();
    this.#unobserve = undefined;
    this.#instruments = undefined;
  }

  received(lease: LeaseArrival): void {
    if (!tracing()) {
      this.#leases.set(lease.leaseId, {
        traced: undefined,
        receivedAt: performance.now(),
        posts: 0,
      });
      this.#instruments?.received.add(1, { [Attr.CAPABILITY]: lease.capabilityType });
      return;
    }
    const attributes: Attributes = {
      [Attr.MESSAGING_SYSTEM]: 'bigbrain',
      [Attr.MESSAGING_OPERATION_TYPE]: 'process',
      [Attr.MESSAGING_OPERATION_NAME]: 'process',
      [Attr.MESSAGING_DESTINATION]: lease.capabilityType,
      [Attr.MESSAGING_MESSAGE_ID]: lease.leaseId,
      [Attr.MESSAGING_CONSUMER_ID]: this.#neuronId,
      [Attr.LEASE_ID]: lease.leaseId,
      [Attr.TASK_ID]: lease.taskId,
      [Attr.CAPABILITY]: lease.capabilityType,
    };
    if (lease.attempt !== undefined) attributes[Attr.TASK_ATTEMPT] = lease.attempt;
    const span = this.#tracer.startSpan(SpanName.process(lease.capabilityType), {
      kind: SpanKind.CONSUMER,
      attributes,
    });
    const traced =
      span.isRecording() || isSpanContextValid(span.spanContext())
        ? { span, context: trace.setSpan(context.active(), span) }
        : undefined;
    this.#leases.set(lease.leaseId, { traced, receivedAt: performance.now(), posts: 0 });
    this.#instruments?.received.add(1, { [Attr.CAPABILITY]: lease.capabilityType });
  }

  /** Runs `validate` in a child span of the lease; a result that is not `ok` fails the span. */
  validate<T extends { ok: boolean }>(leaseId: string, validate: () => T): T {
    const lease = this.#leases.get(leaseId)?.traced;
    if (!lease) return validate();
    const span = this.#tracer.startSpan(SpanName.VALIDATE, {}, lease.context);
    try {
      const result = validate();
      if (!result.ok) failed(span, INPUT_MISMATCH);
      return result;
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Opens the `handle` span, a child of the lease's, when the lease is traced: the handler then
   * runs inside it (`inHandle`), so its own spans (and its `fetch` calls, when instrumented) nest
   * under the lease.
   */
  handleStarted(leaseId: string): HandleTrace | undefined {
    const lease = this.#leases.get(leaseId)?.traced;
    if (!lease) return undefined;
    const span = this.#tracer.startSpan(SpanName.HANDLE, {}, lease.context);
    return { span, context: trace.setSpan(lease.context, span) };
  }

  /** Runs `run` inside the `handle` span's context, if there is one. */
  inHandle<T>(handle: HandleTrace | undefined, run: () => T): T {
    return handle ? context.with(handle.context, run) : run();
  }

  /** The handler returned or threw (`error`) after `durationMs`: ends its span, records it. */
  handleEnded(
    handle: HandleTrace | undefined,
    capabilityType: string,
    durationMs: number,
    error?: unknown,
  ): void {
    if (handle) {
      if (error !== undefined) failed(handle.span, error);
      handle.span.end();
    }
    this.#instruments?.handlerDuration.record(seconds(durationMs), {
      [Attr.CAPABILITY]: capabilityType,
      [Attr.OUTCOME]: error === undefined ? 'returned' : 'threw',
    });
  }

  /** One try of the outcome POST: returns what ends its span, with the error if it failed. */
  postTry(
    leaseId: string,
    kind: 'ack' | 'nack',
    capabilityType: string,
  ): (error?: unknown) => void {
    const lease = this.#leases.get(leaseId);
    const attempt = lease ? ++lease.posts : 1;
    if (attempt > 1) {
      this.#instruments?.retries.add(1, {
        [Attr.CAPABILITY]: capabilityType,
        [Attr.OUTCOME]: kind,
      });
    }
    if (!lease?.traced) return ignore;
    const span = this.#tracer.startSpan(
      SpanName.post(kind),
      { kind: SpanKind.CLIENT, attributes: { [Attr.POST_ATTEMPT]: attempt } },
      lease.traced.context,
    );
    return (error) => {
      if (error !== undefined) failed(span, error);
      span.end();
    };
  }

  settled(lease: LeaseSettlement): void {
    const held = this.#leases.get(lease.leaseId);
    this.#leases.delete(lease.leaseId);
    const outcome = outcomeName(lease.outcome);
    const attributes: Attributes = {
      [Attr.CAPABILITY]: lease.capabilityType,
      [Attr.SETTLEMENT]: lease.settlement,
      [Attr.OUTCOME]: outcome,
    };
    if (lease.outcome?.kind === 'nack' && lease.outcome.code !== undefined) {
      attributes[Attr.OUTCOME_CODE] = lease.outcome.code;
    }
    this.#instruments?.settled.add(1, attributes);
    if (!held) return;
    this.#instruments?.leaseDuration.record(seconds(performance.now() - held.receivedAt), {
      [Attr.CAPABILITY]: lease.capabilityType,
      [Attr.OUTCOME]: outcome,
    });
    const traced = held.traced;
    if (!traced) return;
    traced.span.setAttributes(attributes);
    if (isFailure(lease)) {
      traced.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: `${outcome} (${lease.settlement})`,
      });
    }
    traced.span.end();
  }

  reconnecting(): void {
    this.#instruments?.reconnects.add(1);
  }

  heartbeat(roundTripMs: number): void {
    this.#instruments?.heartbeat.record(seconds(roundTripMs));
  }

  loopDelay(delayMs: number): void {
    this.#instruments?.loopDelay.record(seconds(delayMs));
  }

  loopBlocked(): void {
    this.#instruments?.loopBlocked.add(1);
  }
}

function ignore(): void {}

/**
 * Whether a tracer provider is registered: with none (the API's proxy has no delegate) a lease's
 * span would be a no-op, and its attributes are not even built. Asked per lease, so an SDK
 * registered later traces the leases that come after it.
 */
function tracing(): boolean {
  const provider = trace.getTracerProvider();
  return (
    !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(SCOPE) !== undefined
  );
}

/** `ack`, the nack kind, or `none` (lost, expired, or settled before an outcome was due). */
function outcomeName(outcome: Outcome | undefined): string {
  if (!outcome) return 'none';
  return outcome.kind === 'ack' ? 'ack' : outcome.nack;
}

/** A lease the task did not get through: anything but an ack delivered or a cancel. */
function isFailure(lease: LeaseSettlement): boolean {
  if (lease.settlement !== 'delivered') return lease.settlement !== 'lost';
  return lease.outcome?.kind === 'nack' && lease.outcome.nack !== 'cancelled';
}

/** Marks `span` failed. Total: a thrown revoked Proxy fails even `instanceof`. */
/** What a failed `validate input` span records. */
const INPUT_MISMATCH = Object.assign(new Error('input does not match the capability schema'), {
  name: 'SchemaMismatch',
});

function failed(span: Span, error: unknown): void {
  let type = typeof error as string;
  let message: string | undefined;
  try {
    if (error instanceof Error) {
      type = error.name;
      message = String(error.message).slice(0, 200);
    }
  } catch {
    type = 'unreadable';
  }
  span.setAttribute(Attr.ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
