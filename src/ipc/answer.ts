/**
 * What `invoke` resolved with → what `Transport.post` resolves with: the body of a 2xx answer,
 * or a `GatewayStatusError` for any other status, so that the neuron's machines apply
 * PROTOCOL.md's POST table (409 `LEASE_NOT_HELD` dropped, 404 `NO_SESSION` re-registers…) to
 * IPC answers as they do to HTTP ones.
 */
import { statusError } from '../transport/status-error.js';
import { isIpcAnswer } from './bridge.js';

export function readIpcAnswer(path: string, answer: unknown): unknown {
  // A bridge that forwards only accepted answers (and rejects otherwise) resolves with the body.
  if (!isIpcAnswer(answer)) return answer;
  if (answer.status >= 200 && answer.status < 300) return answer.body;
  const { status, body, retryAfter } = answer;
  // Checked, not trusted: the answer crossed a process boundary.
  const header =
    typeof retryAfter === 'string' || typeof retryAfter === 'number'
      ? String(retryAfter)
      : undefined;
  throw statusError({ path, status, body, retryAfter: header });
}
