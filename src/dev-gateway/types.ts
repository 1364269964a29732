import type {
  EffectiveCapability,
  InboundFrame,
  JsonSchema,
  NackKind,
  PostPath,
  ProgressUpdate,
  RejectedCapability,
  SchemaMismatchDetails,
  Scope,
  SdkInfo,
} from '../protocol/frames.js';
import type { ClientInfo, DeviceCodeInfo } from './identity/types.js';

/** Where a request was routed: `events` for the SSE open, else the POST's frame type. */
export type GatewayPath = 'events' | PostPath;

/** What {@link DevGateway.submitTask} takes. */
export interface TaskSpec {
  capabilityType: string;
  /** Any JSON value. */
  input: unknown;
  /** @default 't-<n>' */
  taskId?: string;
  workflowId?: string;
  /** Only neurons advertising this capability with scope `'any'` or this `onBehalfOf` get it. */
  onBehalfOf?: string;
  /** Overrides the capability's advertised `leaseTtlMs` and the gateway's default. */
  leaseTtlMs?: number;
  /**
   * Deliveries before a retryable nack or a lost lease fails the task.
   * @default the gateway's `maxAttempts`
   */
  maxAttempts?: number;
}

/**
 * `pending` (queued, waiting for a neuron), `leased` (a neuron holds it), then one of the
 * settled states: `acked`, `failed`, `cancelled`.
 */
export type TaskState = 'pending' | 'leased' | 'acked' | 'failed' | 'cancelled';

/** Why a lease ended. */
export type LeaseEnd = 'acked' | 'nacked' | 'expired' | 'session-dropped';

/** One delivery of a task. Times are epoch milliseconds. */
export interface LeaseRecord {
  leaseId: string;
  taskId: string;
  neuronId: string;
  capabilityType: string;
  /** 1 for the first delivery. */
  attempt: number;
  ttlMs: number;
  leasedAt: number;
  /** Pushed forward by heartbeats. */
  expiresAt: number;
  endedAt?: number;
  end?: LeaseEnd;
  /** The ack or nack that ended it. */
  outcome?: TaskOutcome;
  /** Its progress updates, oldest first; only the last {@link PROGRESS_KEPT} are kept. */
  progress: ProgressRecord[];
  /** Updates left out of `progress` (the oldest ones) to bound memory. */
  progressDropped?: number;
}

/** How many progress updates a lease keeps (a chatty handler could send thousands). */
export const PROGRESS_KEPT = 100;

/** How a task settled. */
export type TaskOutcome =
  | { type: 'ack'; output: unknown; durationMs?: number }
  | { type: 'nack'; kind: NackKind; reason: string; code?: string; details?: SchemaMismatchDetails }
  /** Cancelled by `cancelTask` without a nack: while pending, or its lease was lost meanwhile. */
  | { type: 'cancelled'; reason?: string }
  /** The last allowed delivery expired or its neuron's session was dropped. */
  | { type: 'lease-lost'; reason: 'expired' | 'session-dropped' };

/** The last progress frame of a task. */
export interface ProgressRecord extends ProgressUpdate {
  leaseId: string;
  sentAt?: string;
  /** When the gateway received it. */
  at: number;
}

/** A snapshot of one task; later changes do not show in it. Times are epoch milliseconds. */
export interface TaskRecord {
  taskId: string;
  capabilityType: string;
  input: unknown;
  workflowId?: string;
  onBehalfOf?: string;
  leaseTtlMs?: number;
  maxAttempts: number;
  state: TaskState;
  /** Deliveries so far. */
  attempts: number;
  /** The most recent lease (the current one while `state` is `leased`). */
  leaseId?: string;
  /** The neuron of the most recent lease. */
  neuronId?: string;
  outcome?: TaskOutcome;
  progress: { count: number; last?: ProgressRecord };
  /** Set by `cancelTask` on a leased task; the task settles when the neuron answers. */
  cancelRequested?: { reason?: string; at: number };
  /**
   * While `pending` after a retryable nack: when it goes back in the queue (the gateway's
   * `retryBackoff`). Unset while it waits in the queue.
   */
  retryAt?: number;
  /** The task this one re-runs (`POST /__dev__/tasks/:taskId/retry`). */
  retryOf?: string;
  /** Every lease, oldest first. */
  history: LeaseRecord[];
  submittedAt: number;
  settledAt?: number;
}

/** One capability a neuron serves, as the gateway sees it. */
export interface NeuronCapabilityInfo {
  type: string;
  scope: Scope;
  concurrency: number;
  /** Leases of this type the neuron holds now. */
  held: number;
  /** Revoked (or refused by the neuron): no dispatch until it registers with it again. */
  revoked: boolean;
  /** As advertised (protocol 1.1.0), when it was. */
  description?: string;
  inputSchema?: JsonSchema;
  outputSchema?: JsonSchema;
  leaseTtlMs?: number;
}

/** A neuron with an open stream or a live session. */
export interface NeuronInfo {
  neuronId: string;
  /** Undefined until registered, and after the session is dropped. */
  sessionId?: string;
  streamOpen: boolean;
  stalled: boolean;
  /** Leases may be dispatched to it: registered on its current stream and not shutting down. */
  dispatchable: boolean;
  /** The id of the last event written to (or buffered for) it. */
  lastEventId?: string;
  protocolVersion?: string;
  sdk?: SdkInfo;
  capabilities: NeuronCapabilityInfo[];
  /** Who its stream's token says it is (only with the identity provider on). */
  identity?: { kind: string; sub: string; orgId?: string };
}

/** One answered request, as `gw.requests` records it. */
export interface RequestRecord {
  method: string;
  /** `'unknown'` for a path the gateway does not serve. */
  path: GatewayPath | 'unknown';
  /** The raw request target. */
  url: string;
  neuronId?: string;
  /** Lowercased names; repeated headers joined with `, `. Not redacted: this is a test tool. */
  headers: Record<string, string>;
  /** The parsed JSON body, when it was JSON. */
  body?: unknown;
  /** The status answered (for an abandoned request: the status it would have got). */
  status: number;
  /** The client went away before a delayed answer (`delayMs` fault) was sent. */
  abandoned?: true;
  /** When it arrived (epoch ms). */
  at: number;
  /** It came through `gw.ipcBridge()` (a POST as `invoke`, an SSE open as `attach`), not HTTP. */
  via?: 'ipc';
}

/** Why a stream ended. */
export type StreamCloseReason = 'client' | 'replaced' | 'disconnect' | 'dropped' | 'gateway-closed';

/** The events of `gw.on` / `gw.waitFor` and their payloads. */
export interface DevGatewayEvents {
  /** A request was answered (also recorded in `gw.requests`). */
  request: RequestRecord;
  'stream:open': { neuronId: string; lastEventId?: string; resumed: boolean; replayed: number };
  'stream:close': { neuronId: string; reason: StreamCloseReason };
  /** A frame was written to a stream (or buffered while it is closed or stalled). */
  frame: { neuronId: string; frame: InboundFrame; id?: string };
  registered: {
    neuronId: string;
    sessionId: string;
    capabilities: EffectiveCapability[];
    rejected: RejectedCapability[];
  };
  'session:dropped': { neuronId: string; sessionId: string };
  lease: { neuronId: string; leaseId: string; taskId: string; attempt: number };
  /** A lease was taken back without an outcome. */
  'lease:reclaimed': {
    neuronId: string;
    leaseId: string;
    taskId: string;
    reason: 'expired' | 'session-dropped';
  };
  progress: { neuronId: string; leaseId: string; taskId: string; update: ProgressRecord };
  /** Any change of a task. */
  task: TaskRecord;
  'task:settled': TaskRecord;
  /** A device code was issued, approved, denied or exchanged (identity provider). */
  'identity:device-code': DeviceCodeInfo;
  /** A client was enrolled or revoked (identity provider). */
  'identity:client': ClientInfo;
}

export type DevGatewayEventName = keyof DevGatewayEvents;

/** What `gw.failNext` answers instead of handling the request. */
export interface FaultSpec {
  /** Any status; a non-2xx gets an error body, and even `200` does (a JSON, not a stream). */
  status: number;
  /** @default a code fitting the path and status (`NO_SESSION` for a heartbeat 404…) */
  code?: string;
  /** @default 'injected fault' */
  message?: string;
  /** Sent as the `Retry-After` header. */
  retryAfter?: string;
  /**
   * Answer with this JSON body instead of the error body (`null` sends the JSON `null`): a
   * heartbeat answer with chosen `leases` / `lost`, or a 2xx whose body says nothing.
   */
  body?: unknown;
  /** How many requests in a row get it. @default 1 */
  times?: number;
  /**
   * Hold the answer this long before sending it: a slow or hung gateway. A request whose client
   * gives up first is recorded then, with `abandoned: true`.
   * @default 0
   */
  delayMs?: number;
}

/** Options of the waiting helpers. */
export interface WaitOptions {
  /** @default 5000 */
  timeoutMs?: number;
}
