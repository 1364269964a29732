/**
 * The errors of `@holokai/neuron-sdk/auth`. None of them ever carries a secret or a token: messages
 * are built from status codes, OAuth error codes and paths, and a `cause` is always a sanitised
 * summary (never an HTTP body, which could echo a client secret).
 */
import { AuthCallbackError, NeuronError } from '../errors.js';

/** Why `enroll()` stopped. */
export type EnrollmentFailureReason =
  | 'unreachable'
  | 'denied'
  | 'expired'
  | 'protocol'
  | 'exists'
  | 'invalid-options';

/**
 * AUTH.md §2 "Exit codes of `enroll`: 0 enrolled; 2 bad arguments; 3 Moku unreachable or not an
 * authorization server; 9 denied; 10 expired; 11 protocol error." The contract names no code for
 * an existing credential file: it gets 2, like a bad argument, because nothing was attempted and
 * an argument (`--force`, another `--credentials-file`) is the fix.
 */
const EXIT_CODES: Readonly<Record<EnrollmentFailureReason, number>> = {
  'invalid-options': 2,
  exists: 2,
  unreachable: 3,
  denied: 9,
  expired: 10,
  protocol: 11,
};

/** `enroll()` failed; `exitCode` is what the `enroll` command exits with. */
export class EnrollmentError extends NeuronError {
  readonly reason: EnrollmentFailureReason;
  /** 2 (`invalid-options`, `exists`), 3 (`unreachable`), 9 (`denied`), 10 (`expired`), 11 (`protocol`). */
  readonly exitCode: number;

  constructor(reason: EnrollmentFailureReason, message: string, options?: { cause?: unknown }) {
    super('NEURON_ERR_ENROLLMENT', message, options);
    this.name = 'EnrollmentError';
    this.reason = reason;
    this.exitCode = EXIT_CODES[reason];
  }
}

/**
 * AUTH.md §4: the token endpoint answered `invalid_client` and the credential file holds no new
 * secret, or the file is gone. Terminal until the machine is enrolled again (or the file replaced).
 */
export class CredentialRevokedError extends NeuronError {
  /** The credential file the SDK read. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('NEURON_ERR_CREDENTIAL_REVOKED', message, options);
    this.name = 'CredentialRevokedError';
    this.path = path;
  }
}

/** What is wrong with a credential file. */
export type CredentialFileProblem = 'missing' | 'unreadable' | 'insecure' | 'malformed' | 'version';

/** A credential file that cannot be used as it is (AUTH.md §3); the message says how to fix it. */
export class CredentialFileError extends NeuronError {
  readonly reason: CredentialFileProblem;
  readonly path: string;

  constructor(reason: CredentialFileProblem, path: string, message: string) {
    super('NEURON_ERR_CREDENTIAL_FILE', message);
    this.name = 'CredentialFileError';
    this.reason = reason;
    this.path = path;
  }
}

/**
 * A client-credentials token request failed for another reason than a revoked credential. It is an
 * `AuthCallbackError` (it is the `auth` callback failing), so the transport reports it as it is.
 * AUTH.md §4: "429, 5xx, network errors, timeouts: transient — the call fails, and the neuron's
 * backoff retries."
 */
export class TokenRequestError extends AuthCallbackError {
  /** 429, 5xx, a network error or a timeout: the next call may well succeed. */
  readonly transient: boolean;
  /** The token endpoint's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** The OAuth `error` code of the answer (`invalid_scope`…), when it had one. */
  readonly oauthError: string | undefined;

  constructor(
    message: string,
    init: { transient: boolean; status?: number | undefined; oauthError?: string | undefined },
    cause?: unknown,
  ) {
    super(message, cause);
    this.name = 'TokenRequestError';
    this.transient = init.transient;
    this.status = init.status;
    this.oauthError = init.oauthError;
  }
}
