/**
 * `enroll()`'s options, validated once (AUTH.md §2: bad arguments exit with 2).
 */
import { resolve } from 'node:path';
import { defaultCredentialPath } from './credential-file.js';
import type { PollInfo } from './device-flow.js';
import { EnrollmentError } from './errors.js';
import { isSecureOrLoopback, showUrl } from './url.js';

/** What to show the admin (AUTH.md §2 step 2). */
export interface VerificationInfo {
  verificationUri: string;
  /** The URI with the code in it, when Moku gives one: show this one if present. */
  verificationUriComplete?: string;
  userCode: string;
  /** Seconds until the code expires. */
  expiresIn: number;
}

export interface EnrollOptions {
  /** Moku's issuer URL. https, or http to a loopback host. */
  mokuUrl: string | URL;
  /** This machine's (or fleet's) name: the registered `client_name`. */
  name: string;
  /** Capability types to show on the approval screen: display hints only. @default [] */
  capabilities?: readonly string[];
  /** Where to write the credential. @default defaultCredentialPath() */
  credentialsFile?: string;
  /** Replace an existing credential file. @default false */
  force?: boolean;
  /**
   * Shows the admin where to approve.
   * @default writes "To enroll this machine, open <uri> and confirm the code <code>" to stderr
   */
  onVerification?: (info: VerificationInfo) => void;
  /** Called as each token request goes out (for a spinner). Its errors are ignored. */
  onPoll?: (info: PollInfo) => void;
  /** Stops the enrollment; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How long one HTTP request may take, in ms. @default 30_000 */
  timeoutMs?: number;
  /**
   * Multiplies every polling wait (the interval, `slow_down`'s 5 s, `Retry-After`), so that a test
   * polls every 50 ms with `0.01`. Not for production: Moku's `interval` is a rate limit.
   * @default 1
   */
  pollIntervalScale?: number;
}

/** The options with their defaults applied. */
export interface Resolved {
  mokuUrl: URL;
  name: string;
  capabilities: string[];
  credentialsFile: string;
  force: boolean;
  onVerification: (info: VerificationInfo) => void;
  onPoll: ((info: PollInfo) => void) | undefined;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  scale: number;
}

export function resolveOptions(options: EnrollOptions): Resolved {
  const invalid = (message: string): EnrollmentError =>
    new EnrollmentError('invalid-options', message);
  if (typeof options !== 'object' || options === null) {
    throw invalid('enroll() needs an options object: { mokuUrl, name }');
  }
  const { mokuUrl, name, capabilities = [], force = false, timeoutMs = 30_000 } = options;
  const url =
    mokuUrl instanceof URL ? mokuUrl : typeof mokuUrl === 'string' ? URL.parse(mokuUrl) : null;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalid('mokuUrl must be the URL of Moku, e.g. https://moku.example (--moku-url)');
  }
  if (!isSecureOrLoopback(url)) {
    throw invalid(
      `mokuUrl must use https (http is accepted for loopback hosts only): got ${showUrl(url)}`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw invalid('mokuUrl must be an issuer URL: no credentials, query or fragment in it');
  }
  if (typeof name !== 'string' || name.trim() === '') {
    throw invalid('name must be a non-empty string: the name this machine is enrolled as (--name)');
  }
  if (
    !Array.isArray(capabilities) ||
    !capabilities.every((c) => typeof c === 'string' && c !== '' && !c.includes(','))
  ) {
    throw invalid('capabilities must be capability types without commas, e.g. org/acme/erp.read');
  }
  const scale = options.pollIntervalScale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw invalid('pollIntervalScale must be a positive number');
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw invalid('timeoutMs must be a positive number of milliseconds');
  }
  for (const key of ['onVerification', 'onPoll'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw invalid(`${key} must be a function`);
    }
  }
  const file = options.credentialsFile ?? defaultCredentialPath();
  if (typeof file !== 'string' || file === '') {
    throw invalid('credentialsFile must be a path (--credentials-file)');
  }
  return {
    mokuUrl: url,
    name,
    capabilities: [...capabilities],
    credentialsFile: resolve(file),
    force: force === true,
    onVerification: options.onVerification ?? printVerification,
    onPoll: options.onPoll,
    signal: options.signal,
    timeoutMs,
    scale,
  };
}

function printVerification(info: VerificationInfo): void {
  const where = info.verificationUriComplete ?? info.verificationUri;
  process.stderr.write(
    `To enroll this machine, open ${where}\nand confirm the code ${info.userCode} (it expires in ${Math.round(info.expiresIn / 60)} min).\n`,
  );
}
