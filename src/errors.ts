/**
 * Every error the SDK creates is a `NeuronError` with a stable `code`. As in undici, `instanceof`
 * works across duplicate copies of the package through a `Symbol.for` marker.
 */

const kNeuronError = Symbol.for('@holokai/neuron-sdk.error');

export type NeuronErrorCode =
  | 'NEURON_ERR_INVALID_OPTIONS'
  | 'NEURON_ERR_INVALID_CAPABILITY'
  | 'NEURON_ERR_SCHEMA_COMPILE'
  | 'NEURON_ERR_INVALID_STATE'
  | 'NEURON_ERR_GATEWAY_STATUS'
  | 'NEURON_ERR_NETWORK'
  | 'NEURON_ERR_REQUEST_TIMEOUT'
  | 'NEURON_ERR_AUTH_CALLBACK'
  | 'NEURON_ERR_BAD_STREAM'
  | 'NEURON_ERR_FRAME'
  | 'NEURON_ERR_REGISTRATION_REJECTED'
  | 'NEURON_ERR_TASK_FAILED'
  | 'NEURON_ERR_LEASE_ABORTED'
  | 'NEURON_ERR_GATEWAY_ANSWER'
  | 'NEURON_ERR_CREDENTIAL_REVOKED'
  | 'NEURON_ERR_CREDENTIAL_FILE'
  | 'NEURON_ERR_ENROLLMENT';

export class NeuronError extends Error {
  readonly code: NeuronErrorCode;

  constructor(code: NeuronErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'NeuronError';
  }

  /** The marker answers for the base class; subclasses keep the ordinary prototype check. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested against.
    if (this !== NeuronError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && kNeuronError in value;
  }
}
Object.defineProperty(NeuronError.prototype, kNeuronError, { value: true });

/** A constructor option, `handle()` registration or call made in the wrong state. */
export class ConfigError extends NeuronError {
  constructor(
    code:
      | 'NEURON_ERR_INVALID_OPTIONS'
      | 'NEURON_ERR_INVALID_CAPABILITY'
      | 'NEURON_ERR_SCHEMA_COMPILE'
      | 'NEURON_ERR_INVALID_STATE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/** The gateway answered with a non-2xx status. */
export class GatewayStatusError extends NeuronError {
  readonly status: number;
  /** `error.code` of the answer's body, when it had one (`NO_SESSION`, `LEASE_NOT_HELD`…). */
  readonly gatewayCode: string | undefined;
  readonly gatewayMessage: string | undefined;
  /** `Retry-After`, in ms, when the answer carried one. */
  readonly retryAfterMs: number | undefined;
  /** `events` for the SSE open, else the POST path. */
  readonly path: string;

  constructor(init: {
    status: number;
    path: string;
    gatewayCode?: string | undefined;
    gatewayMessage?: string | undefined;
    retryAfterMs?: number | undefined;
  }) {
    const detail = [init.gatewayCode, init.gatewayMessage].filter(Boolean).join(' ');
    super(
      'NEURON_ERR_GATEWAY_STATUS',
      `gateway answered ${init.status} to ${init.path}${detail ? `: ${detail}` : ''}`,
    );
    this.name = 'GatewayStatusError';
    this.status = init.status;
    this.path = init.path;
    this.gatewayCode = init.gatewayCode;
    this.gatewayMessage = init.gatewayMessage;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The request never got an answer: connection refused, reset, DNS… */
export class NetworkError extends NeuronError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('NEURON_ERR_NETWORK', `network error on ${path}: ${why}`, { cause });
    this.name = 'NetworkError';
    this.path = path;
  }
}

/** The request got no answer within `requestTimeoutMs`. */
export class RequestTimeoutError extends NeuronError {
  readonly path: string;
  constructor(path: string, timeoutMs: number) {
    super('NEURON_ERR_REQUEST_TIMEOUT', `no answer to ${path} within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
    this.path = path;
  }
}

/** The user's `auth` callback threw, or returned something that is not a non-empty string. */
export class AuthCallbackError extends NeuronError {
  constructor(message: string, cause?: unknown) {
    super('NEURON_ERR_AUTH_CALLBACK', message, { cause });
    this.name = 'AuthCallbackError';
  }
}

/** The SSE open answered 200 but is not an event stream, or the stream broke the framing rules. */
export class BadStreamError extends NeuronError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NEURON_ERR_BAD_STREAM', message, options);
    this.name = 'BadStreamError';
  }
}

export type FrameErrorReason =
  | 'not-json'
  | 'not-object'
  | 'no-type'
  | 'missing-field'
  | 'invalid-field'
  | 'too-large';

/** An inbound frame that was reported and skipped (PROTOCOL.md "The SSE stream"). */
export class FrameError extends NeuronError {
  readonly reason: FrameErrorReason;
  /** The frame's `type`, when it had one. */
  readonly frameType: string | undefined;
  constructor(reason: FrameErrorReason, message: string, frameType?: string) {
    super('NEURON_ERR_FRAME', message);
    this.name = 'FrameError';
    this.reason = reason;
    this.frameType = frameType;
  }
}

/**
 * A 2xx answer whose body has the wrong shape (a heartbeat answer with `"lost": 5`…): what was
 * well-formed was used, the rest ignored. Reported once per run of malformed answers.
 */
export class GatewayAnswerError extends NeuronError {
  /** The POST path the answer came from. */
  readonly path: string;
  constructor(path: string, message: string) {
    super('NEURON_ERR_GATEWAY_ANSWER', message);
    this.name = 'GatewayAnswerError';
    this.path = path;
  }
}

/** A 403 on register / update-capability, or capabilities the `registered` frame listed as rejected. */
export class RegistrationRejectedError extends NeuronError {
  readonly gatewayCode: string | undefined;
  readonly capabilityTypes: string[];
  /** The HTTP status of the refusal (403, or 400 `INVALID_FRAME`); undefined for `registered.rejected`. */
  readonly status: number | undefined;
  constructor(
    gatewayCode: string | undefined,
    message: string,
    capabilityTypes: string[],
    status?: number,
  ) {
    super(
      'NEURON_ERR_REGISTRATION_REJECTED',
      `registration rejected by gateway: ${gatewayCode ?? 'FORBIDDEN'} ${message}`.trimEnd(),
    );
    this.name = 'RegistrationRejectedError';
    this.status = status;
    this.gatewayCode = gatewayCode;
    this.capabilityTypes = capabilityTypes;
  }
}

/** Thrown by `ctx.fail()`: the task can never succeed (`nack` `terminal`). */
export class TaskFailedError extends NeuronError {
  readonly failCode: string | undefined;
  constructor(reason: string, failCode?: string) {
    super('NEURON_ERR_TASK_FAILED', reason);
    this.name = 'TaskFailedError';
    this.failCode = failCode;
  }
}

/** Why a lease's `ctx.signal` fired. */
export type LeaseAbortReason = 'cancelled' | 'revoked' | 'shutdown' | 'lost';

const abortMessages: Record<LeaseAbortReason, string> = {
  cancelled: 'the gateway cancelled this lease',
  revoked: "this lease's capability was revoked",
  shutdown: 'the neuron is shutting down',
  lost: 'the gateway no longer holds this lease',
};

/**
 * The `reason` of a lease's `ctx.signal`. Named `AbortError` so the usual
 * `err.name === 'AbortError'` checks treat it as an abort.
 */
export class LeaseAbortedError extends NeuronError {
  readonly reason: LeaseAbortReason;
  constructor(reason: LeaseAbortReason, detail?: string) {
    super(
      'NEURON_ERR_LEASE_ABORTED',
      detail ? `${abortMessages[reason]}: ${detail}` : abortMessages[reason],
    );
    this.name = 'AbortError';
    this.reason = reason;
  }
}

export function isNeuronError(value: unknown): value is NeuronError {
  return value instanceof NeuronError;
}

/**
 * `CredentialRevokedError` of `@holokai/neuron-sdk/auth`, known by its code, so that the root
 * (and the machines) need not load that Node-only entry.
 */
export function isCredentialRevoked(error: unknown): boolean {
  return isNeuronError(error) && error.code === 'NEURON_ERR_CREDENTIAL_REVOKED';
}
