/**
 * The body of a 2xx heartbeat answer, checked field by field (PROTOCOL.md: "the body is
 * optional. When present it may carry the renewed deadlines and the leases the gateway no longer
 * holds"). Like every body a gateway sends it is untrusted: an entry of the wrong shape is left
 * out and reported, and the well-formed rest is kept.
 */
import type { CheckedHeartbeatAnswer } from './frames.js';

export interface HeartbeatAnswerReading {
  /** `undefined` when there was no body, or a body that is not a JSON object. */
  answer: CheckedHeartbeatAnswer | undefined;
  /** What was left out, and why (payload-free). */
  problems: string[];
}

/** An ISO-8601 date-time, as `expiresAt` is on the lease frame. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

export function readHeartbeatAnswer(body: unknown): HeartbeatAnswerReading {
  if (body === undefined) return { answer: undefined, problems: [] };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      answer: undefined,
      problems: [`heartbeat answer is ${kind(body)}, not a JSON object; read as no body`],
    };
  }
  const problems = new Problems();
  const answer: CheckedHeartbeatAnswer = {};
  const { leases, lost } = body as { leases?: unknown; lost?: unknown };
  if (leases !== undefined) {
    if (!Array.isArray(leases)) {
      problems.add(`heartbeat answer field "leases" is ${kind(leases)}, not an array; ignored`);
    } else {
      answer.leases = [];
      leases.forEach((entry, i) => {
        const renewal = readRenewal(entry);
        if (renewal) answer.leases?.push(renewal);
        else
          problems.add(
            `heartbeat answer entry "leases.${i}" is not { leaseId, expiresAt (ISO-8601) }; ignored`,
          );
      });
    }
  }
  if (lost !== undefined) {
    if (!Array.isArray(lost)) {
      problems.add(`heartbeat answer field "lost" is ${kind(lost)}, not an array; ignored`);
    } else {
      answer.lost = [];
      lost.forEach((leaseId, i) => {
        if (typeof leaseId === 'string' && leaseId !== '') answer.lost?.push(leaseId);
        else problems.add(`heartbeat answer entry "lost.${i}" is not a leaseId; ignored`);
      });
    }
  }
  return { answer, problems: problems.list() };
}

/** A hostile answer may hold millions of bad entries: name the first few, count the rest. */
class Problems {
  static readonly SHOWN = 3;
  readonly #shown: string[] = [];
  #more = 0;
  add(problem: string): void {
    if (this.#shown.length < Problems.SHOWN) this.#shown.push(problem);
    else this.#more++;
  }
  list(): string[] {
    return this.#more === 0 ? this.#shown : [...this.#shown, `and ${this.#more} more`];
  }
}

function readRenewal(entry: unknown): { leaseId: string; expiresAt: number } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { leaseId, expiresAt } = entry as { leaseId?: unknown; expiresAt?: unknown };
  if (typeof leaseId !== 'string' || leaseId === '') return undefined;
  if (typeof expiresAt !== 'string' || !DATE_TIME.test(expiresAt)) return undefined;
  const ms = Date.parse(expiresAt);
  return Number.isFinite(ms) ? { leaseId, expiresAt: ms } : undefined;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
