/**
 * Records every transport callback in order, so assertions read like the protocol, and builds
 * transports against the test server with a counting `auth`.
 */
import type { HeartbeatFrame, InboundFrame } from '../../src/protocol/frames.js';
import { HttpTransport, type HttpTransportOptions } from '../../src/transport/http-transport.js';
import type { Transport } from '../../src/transport/types.js';

export type Recorded =
  | { kind: 'open' }
  | { kind: 'close'; reason: string }
  | { kind: 'frame'; frame: InboundFrame; id: string | undefined }
  | { kind: 'error'; error: Error }
  | { kind: 'activity' }
  | { kind: 'retry'; delayMs: number };

export interface Recorder {
  log: Recorded[];
  /** Entries of one kind, in order. */
  of<K extends Recorded['kind']>(kind: K): Array<Extract<Recorded, { kind: K }>>;
  /** Resolves once `count` entries of `kind` have been recorded (fails after 2 s). */
  waitFor<K extends Recorded['kind']>(
    kind: K,
    count?: number,
  ): Promise<Array<Extract<Recorded, { kind: K }>>>;
}

export function record(transport: Transport): Recorder {
  const log: Recorded[] = [];
  const listeners = new Set<() => void>();
  const push = (entry: Recorded): void => {
    log.push(entry);
    for (const listener of listeners) listener();
  };
  transport.subscribe({
    onOpen: () => push({ kind: 'open' }),
    onClose: (reason) => push({ kind: 'close', reason }),
    onFrame: (frame, id) => push({ kind: 'frame', frame, id }),
    onError: (error) => push({ kind: 'error', error }),
    onActivity: () => push({ kind: 'activity' }),
    onRetryHint: (delayMs) => push({ kind: 'retry', delayMs }),
  });
  const of = <K extends Recorded['kind']>(kind: K) =>
    log.filter((entry): entry is Extract<Recorded, { kind: K }> => entry.kind === kind);
  return {
    log,
    of,
    waitFor(kind, count = 1) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (of(kind).length < count) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(of(kind));
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`waited 2 s for ${count} "${kind}" callback(s); got ${of(kind).length}`),
          );
        }, 2000);
        listeners.add(check);
        check();
      });
    },
  };
}

/** The tokens handed out so far: `token-1`, `token-2`… */
export interface CountingAuth {
  (): Promise<string>;
  calls: number;
}

export function countingAuth(): CountingAuth {
  const auth = (async () => {
    auth.calls++;
    return `token-${auth.calls}`;
  }) as CountingAuth;
  auth.calls = 0;
  return auth;
}

/** The `neuronId` of every transport `makeTransport` builds. */
const NEURON_ID = 'worker 1/a';

/** A heartbeat from that neuron. */
export const heartbeat: HeartbeatFrame = {
  type: 'heartbeat',
  neuronId: NEURON_ID,
  sessionId: 's-1',
  inFlight: [],
  sentAt: '2026-01-01T12:00:00.000Z',
};

export function makeTransport(
  gatewayUrl: string,
  overrides: Partial<HttpTransportOptions> = {},
): { transport: HttpTransport; auth: CountingAuth; recorder: Recorder } {
  const auth = countingAuth();
  const transport = new HttpTransport({ gatewayUrl, neuronId: NEURON_ID, auth, ...overrides });
  return { transport, auth, recorder: record(transport) };
}
