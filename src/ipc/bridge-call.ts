/**
 * One call across the bridge, bounded: "a failing bridge surfaces as error events, never as a
 * hang". A rejection (or a throw) becomes a `NetworkError`, no answer in time a
 * `RequestTimeoutError`; either is reported through `onFailure` before the call rejects. A late
 * answer to a call that has already failed is ignored.
 */
import { NetworkError, RequestTimeoutError } from '../errors.js';

export interface BridgeCallOptions {
  /** Names the call in errors: `attach`, `detach`, or the POST path. */
  path: string;
  timeoutMs: number;
  onFailure: (err: Error) => void;
  /** Lets the caller fail the call at once, without `onFailure` (the transport is closing). */
  abandonable?: Set<() => void>;
}

export function bridgeCall<T>(call: () => Promise<T>, options: BridgeCallOptions): Promise<T> {
  const { path, timeoutMs, onFailure, abandonable } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      abandonable?.delete(abandon);
      return true;
    };
    const fail = (err: Error): void => {
      if (!finish()) return;
      onFailure(err);
      reject(err);
    };
    const abandon = (): void => {
      if (finish()) reject(new NetworkError(path, new Error('the transport was closed')));
    };
    const timer = setTimeout(() => fail(new RequestTimeoutError(path, timeoutMs)), timeoutMs);
    abandonable?.add(abandon);
    let pending: Promise<T>;
    try {
      // A bridge may throw at once (an IPC channel that is gone) instead of rejecting.
      pending = Promise.resolve(call());
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (err: unknown) => fail(new NetworkError(path, err)),
    );
  });
}
