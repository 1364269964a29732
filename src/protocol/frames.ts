/**
 * Wire frames of protocol 1.1.0 (PROTOCOL.md "Frames"). Types only: the shapes the
 * gateway sends on the SSE stream and the bodies the neuron POSTs.
 */

export const PROTOCOL_VERSION = '1.1.0';

/** Any JSON Schema document. */
export type JsonSchema = Record<string, unknown> | boolean;

/** `'any'`, or bound to one user. */
export type Scope = 'any' | { onBehalfOf: string };

// ---- server → neuron (SSE) -------------------------------------------------------------------

export interface EffectiveCapability {
  type: string;
  scope?: Scope;
  concurrency?: number;
}

export interface RejectedCapability {
  type: string;
  code: string;
  message?: string;
}

export interface RegisteredFrame {
  type: 'registered';
  sessionId: string;
  capabilities: EffectiveCapability[];
  rejected?: RejectedCapability[];
  heartbeatIntervalMs?: number;
}

/** The task a lease carries. `input` is any JSON value; the other fields are optional. */
export interface TaskPayload {
  taskId: string;
  workflowId?: string;
  input: unknown;
  onBehalfOf?: string;
  attempt?: number;
  [extra: string]: unknown;
}

export interface LeaseFrame {
  type: 'lease';
  leaseId: string;
  capabilityType: string;
  task: TaskPayload;
  inputSchema?: JsonSchema;
  outputSchema?: JsonSchema;
  /** ISO-8601; renewed by heartbeats. */
  expiresAt?: string;
}

export interface CancelFrame {
  type: 'cancel';
  leaseId: string;
  reason?: string;
}

export interface CapabilityRevokedFrame {
  type: 'capability-revoked';
  capabilityType: string;
  reason?: string;
}

export interface DisconnectFrame {
  type: 'disconnect';
  reason?: string;
  reconnectAfterMs?: number;
}

/** The frames protocol 1.1.0 defines. */
export type ServerToNeuronFrame =
  | RegisteredFrame
  | LeaseFrame
  | CancelFrame
  | CapabilityRevokedFrame
  | DisconnectFrame;

/** A frame of a type this SDK does not know (forward compatibility): passed to `frame` listeners only. */
export interface UnknownServerFrame {
  type: string;
  [field: string]: unknown;
}

/** What `frame` listeners receive: every parsed inbound frame. */
export type InboundFrame = ServerToNeuronFrame | UnknownServerFrame;

// ---- neuron → server (POST) ------------------------------------------------------------------

export interface CapabilityAdvertisement {
  type: string;
  scope: Scope;
  concurrency: number;
  description?: string;
  inputSchema?: JsonSchema;
  outputSchema?: JsonSchema;
  leaseTtlMs?: number;
}

export interface SdkInfo {
  name: string;
  version: string;
  language: 'typescript';
}

export interface RegisterFrame {
  type: 'register';
  neuronId: string;
  protocolVersion: string;
  sdk: SdkInfo;
  capabilities: CapabilityAdvertisement[];
}

export interface UpdateCapabilityFrame {
  type: 'update-capability';
  neuronId: string;
  capabilityType: string;
  concurrency: number;
}

export interface InFlightLease {
  leaseId: string;
  taskId: string;
  startedAt: string;
}

export interface HeartbeatFrame {
  type: 'heartbeat';
  neuronId: string;
  sessionId: string;
  inFlight: InFlightLease[];
  sentAt: string;
}

/** The optional body of a 2xx heartbeat answer. */
export interface HeartbeatAnswer {
  leases?: Array<{ leaseId: string; expiresAt: string }>;
  lost?: string[];
}

/** A heartbeat answer once checked: well-formed entries only, deadlines in ms since the epoch. */
export interface CheckedHeartbeatAnswer {
  /** Absent when the answer had no usable `leases` list. */
  leases?: Array<{ leaseId: string; expiresAt: number }>;
  lost?: string[];
}

export interface AckFrame {
  type: 'ack';
  neuronId: string;
  leaseId: string;
  taskId: string;
  output: unknown;
  durationMs: number;
}

export type NackKind = 'retryable' | 'terminal' | 'schema-mismatch' | 'cancelled';

export interface SchemaErrorDetail {
  path: string;
  message: string;
}

export interface SchemaMismatchDetails {
  phase: 'input' | 'output';
  errors: SchemaErrorDetail[];
}

export interface NackFrame {
  type: 'nack';
  neuronId: string;
  leaseId: string;
  taskId: string;
  kind: NackKind;
  reason: string;
  code?: string;
  details?: SchemaMismatchDetails;
}

export interface ProgressUpdate {
  percent?: number;
  message?: string;
  data?: unknown;
}

export interface ProgressFrame extends ProgressUpdate {
  type: 'progress';
  neuronId: string;
  leaseId: string;
  taskId: string;
  sentAt: string;
}

export type ClientFrame =
  | RegisterFrame
  | UpdateCapabilityFrame
  | HeartbeatFrame
  | AckFrame
  | NackFrame
  | ProgressFrame;

/** The last segment of `POST {gatewayUrl}/neuron/{path}`; always equal to the frame's `type`. */
export type PostPath = ClientFrame['type'];

/** Error body of a non-2xx answer: `{ "error": { "code", "message" } }`. */
export interface GatewayErrorBody {
  error: { code: string; message?: string };
}

/** The codes PROTOCOL.md's POST-response table names. */
export const GatewayErrorCode = {
  INVALID_FRAME: 'INVALID_FRAME',
  NO_SESSION: 'NO_SESSION',
  NO_STREAM: 'NO_STREAM',
  LEASE_NOT_HELD: 'LEASE_NOT_HELD',
  CAPABILITY_DENIED: 'CAPABILITY_DENIED',
  CAPABILITY_PENDING_APPROVAL: 'CAPABILITY_PENDING_APPROVAL',
  NAMESPACE_FORBIDDEN: 'NAMESPACE_FORBIDDEN',
  SCOPE_FORBIDDEN: 'SCOPE_FORBIDDEN',
  UNAUTHORIZED: 'UNAUTHORIZED',
} as const;

/** The `code`s the SDK itself puts on nacks (PROTOCOL.md's outcome table). */
export const NackCode = {
  SHUTDOWN: 'SHUTDOWN',
  CAPABILITY_REVOKED: 'CAPABILITY_REVOKED',
  UNKNOWN_CAPABILITY: 'UNKNOWN_CAPABILITY',
  OUTPUT_NOT_SERIALIZABLE: 'OUTPUT_NOT_SERIALIZABLE',
} as const;
