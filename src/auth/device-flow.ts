/**
 * AUTH.md §2 steps 1–3: device authorization (RFC 8628) and polling the token endpoint.
 *
 * openid-client's `pollDeviceAuthorizationGrant` does the polling; three things AUTH.md asks for it
 * lacks, and this module adds by wrapping its fetch:
 * * "409, 429, 5xx, a network error or a timeout → keep polling (honour `Retry-After`)" — it stops
 *   on all of them (it only waits out a 503 that has a `Retry-After`);
 * * `slow_down` adds 5 s that must outlive such a restart, and be scaled like every other wait
 *   (`pollIntervalScale`, which lets tests poll every 50 ms) — it adds 5 unscaled seconds to a
 *   local variable;
 * * "`expires_in` passed → stop: expired", told apart from the caller's own abort.
 */
import {
  type Configuration,
  type CustomFetch,
  customFetch,
  type DeviceAuthorizationResponse,
  initiateDeviceAuthorization,
  pollDeviceAuthorizationGrant,
} from 'openid-client';
import { EnrollmentError } from './errors.js';
import {
  type FailureSummary,
  isTransientStatus,
  retryAfterMs,
  safeCause,
  summarize,
} from './failure.js';

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_S = 5;
/** RFC 8628 §3.5 / AUTH.md: "`slow_down` → add 5 s to the interval". */
const SLOW_DOWN_S = 5;
/** setTimeout's limit (about 24.8 days); a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Passed to `onPoll` as each token request goes out. */
export interface PollInfo {
  /** 1 for the first token request. */
  attempt: number;
  /** The current polling interval, in ms. */
  intervalMs: number;
}

export interface PollSettings {
  /** Multiplies every wait (interval, `slow_down`, `Retry-After`); not `expires_in`. */
  scale: number;
  /** When the device authorization request was sent: `expires_in` counts from then. */
  startedAt: number;
  signal?: AbortSignal | undefined;
  onPoll?: ((info: PollInfo) => void) | undefined;
}

/** Why our fetch wrapper cut openid-client's polling loop short. */
class PollInterruption extends Error {
  constructor(
    readonly kind: 'transient' | 'slow_down',
    readonly summary?: FailureSummary,
  ) {
    super(kind);
  }
}

/** Step 1: `POST device_authorization_endpoint` with `scope`, `client_name`, `capabilities`. */
export async function requestDeviceCode(
  config: Configuration,
  parameters: Record<string, string>,
): Promise<DeviceAuthorizationResponse> {
  try {
    return await initiateDeviceAuthorization(config, parameters);
  } catch (err) {
    const summary = summarize(err);
    if (summary.kind === 'network' || summary.kind === 'timeout') {
      throw new EnrollmentError(
        'unreachable',
        `could not reach Moku's device authorization endpoint (${summary.text}): check the network, then enroll again`,
        { cause: safeCause(summary) },
      );
    }
    throw protocolError('device authorization request', summary);
  }
}

/** Step 3: polls until the admin approves; resolves with the access token. */
export async function pollForAccessToken(
  config: Configuration,
  authorization: DeviceAuthorizationResponse,
  settings: PollSettings,
): Promise<string> {
  const { scale, signal: callerSignal, onPoll } = settings;
  const tokenEndpoint = new URL(config.serverMetadata().token_endpoint!).href;
  let intervalS = authorization.interval ?? DEFAULT_INTERVAL_S;
  let attempt = 0;

  const deadline = new AbortController();
  const remainingMs = settings.startedAt + authorization.expires_in * 1000 - Date.now();
  const deadlineTimer = setTimeout(
    () => deadline.abort(),
    Math.min(MAX_TIMER_MS, Math.max(0, remainingMs)),
  );
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;

  const baseFetch = config[customFetch] ?? fetch;
  const pollingFetch: CustomFetch = async (url, init) => {
    if (new URL(url).href !== tokenEndpoint) return baseFetch(url, init);
    attempt += 1;
    try {
      onPoll?.({ attempt, intervalMs: intervalS * scale * 1000 });
    } catch {
      // A spinner that throws must not end the enrollment.
    }
    let response: Response;
    try {
      response = await baseFetch(url, init);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new PollInterruption('transient', summarize(err));
    }
    if (response.status === 409 || isTransientStatus(response.status)) {
      await response.body?.cancel();
      const summary: FailureSummary = {
        kind: 'http',
        status: response.status,
        retryAfterMs: retryAfterMs(response),
        text: `HTTP ${response.status}`,
      };
      throw new PollInterruption('transient', summary);
    }
    if (response.status === 400 && (await oauthError(response)) === 'slow_down') {
      await response.body?.cancel();
      throw new PollInterruption('slow_down');
    }
    return response;
  };
  config[customFetch] = pollingFetch;

  try {
    for (;;) {
      try {
        const answer = await pollDeviceAuthorizationGrant(
          config,
          { ...authorization, interval: intervalS * scale },
          undefined,
          { signal },
        );
        return answer.access_token;
      } catch (err) {
        if (callerSignal?.aborted) throw callerSignal.reason;
        if (deadline.signal.aborted) throw expired(authorization);
        const interruption = interruptionIn(err);
        if (interruption?.kind === 'slow_down') {
          intervalS += SLOW_DOWN_S;
        } else if (interruption?.kind === 'transient') {
          // openid-client waits one interval before polling again; wait out the rest of Retry-After.
          const extraMs =
            (interruption.summary?.retryAfterMs ?? 0) * scale - intervalS * scale * 1000;
          if (extraMs > 0) await sleep(extraMs, signal);
        } else {
          throw terminal(summarize(err), authorization);
        }
      }
    }
  } catch (err) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (deadline.signal.aborted && !(err instanceof EnrollmentError)) throw expired(authorization);
    throw err;
  } finally {
    clearTimeout(deadlineTimer);
    config[customFetch] = baseFetch;
  }
}

/** The `error` of an OAuth error answer, read from a copy so that openid-client can still read it. */
async function oauthError(response: Response): Promise<string | undefined> {
  try {
    const body: unknown = await response.clone().json();
    const error = (body as { error?: unknown } | null)?.error;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

/** openid-client wraps what a fetch threw in a `ClientError`; find ours in the cause chain. */
function interruptionIn(err: unknown): PollInterruption | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth += 1) {
    if (e instanceof PollInterruption) return e;
    e = e.cause;
  }
  return undefined;
}

function terminal(summary: FailureSummary, authorization: DeviceAuthorizationResponse): Error {
  // "`access_denied` → stop: denied. `expired_token`, or `expires_in` passed → stop: expired."
  if (summary.oauthError === 'access_denied') {
    return new EnrollmentError(
      'denied',
      'the enrollment was denied in Moku: ask an org admin to approve it, then enroll again',
      { cause: safeCause(summary) },
    );
  }
  if (summary.oauthError === 'expired_token') return expired(authorization);
  // "Any other error → stop: protocol error."
  return protocolError('token request', summary);
}

function expired(authorization: DeviceAuthorizationResponse): EnrollmentError {
  const minutes = Math.max(1, Math.round(authorization.expires_in / 60));
  return new EnrollmentError(
    'expired',
    `the enrollment code expired before an admin approved it: enroll again and have it approved within ${minutes} min`,
  );
}

export function protocolError(step: string, summary: FailureSummary): EnrollmentError {
  return new EnrollmentError(
    'protocol',
    `Moku answered the ${step} in a way this SDK does not understand (${summary.text}): enroll again; if it persists, report it to Moku's operator`,
    { cause: safeCause(summary) },
  );
}

/** A wait that ends early, and leaves no timer behind, when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
