/**
 * A recorded conversation → Mermaid `sequenceDiagram` (participants Neuron and Gateway).
 *
 * Only what is deterministic is written, so regenerating gives the same bytes: paths without
 * host or port; frame types and their key fields; the key fields of each POST body; statuses.
 * Timestamps, durations, the SDK version and heartbeats (their timing is a clock's) are left
 * out. A bearer token is never written: with `showTokens`, each distinct token is named by the
 * order it first appeared in (`token 1`, `token 2`).
 */
import { STATUS_CODES } from 'node:http';
import type { InboundFrame } from '../protocol/frames.js';
import type { Entry } from './recorder.js';

export interface SequenceOptions {
  /** What the scenario shows: a comment at the top. */
  title: string;
  /** Name the bearer token of each request (by ordinal, never its value). @default false */
  showTokens?: boolean;
}

const N = 'Neuron';
const G = 'Gateway';

export function toSequenceDiagram(entries: readonly Entry[], options: SequenceOptions): string {
  // The title is a comment: beautiful-mermaid drops a note before the first message.
  const lines = [
    'sequenceDiagram',
    `  %% ${text(options.title)}`,
    `  participant ${N}`,
    `  participant ${G}`,
  ];
  const out = (line: string) => lines.push(`  ${line}`);
  const tokens = new Map<string, number>();
  /** Frames buffered while the stream was down, for naming what a resume replays. */
  let buffered: Array<{ frame: InboundFrame; id: string }> = [];

  for (const entry of entries) {
    switch (entry.kind) {
      case 'send': {
        if (isHeartbeat(entry.path)) break;
        let label = `${entry.method} ${entry.path}`;
        const lastEventId = entry.headers['last-event-id'];
        if (lastEventId !== undefined) label += ` · Last-Event-ID ${lastEventId}`;
        if (options.showTokens) label += ` · ${tokenName(entry.headers.authorization, tokens)}`;
        const summary = postSummary(entry.body);
        if (summary) label += ` · ${summary}`;
        out(`${N}->>${G}: ${text(label)}`);
        break;
      }
      case 'answer':
        // A stream that opened is drawn at `stream-open`, which precedes its log record.
        if (entry.path === 'heartbeat' || (entry.path === 'events' && entry.status === 200)) break;
        out(`${G}-->>${N}: ${entry.status} ${STATUS_CODES[entry.status] ?? ''}`.trimEnd());
        break;
      case 'stream-open': {
        out(`${G}-->>${N}: 200 ${STATUS_CODES[200]} · event stream`);
        if (!entry.resumed) break;
        const after = entry.lastEventId;
        const candidates =
          after === undefined ? [] : buffered.filter((b) => Number(b.id) > Number(after));
        if (entry.replayed > 0 && candidates.length === entry.replayed) {
          for (const b of candidates)
            out(`${G}-)${N}: ${text(`${frameLabel(b.frame, b.id)} · replayed`)}`);
        } else {
          const what =
            after === undefined
              ? 'no Last-Event-ID'
              : `${entry.replayed} replayed after id ${after}`;
          out(`Note over ${G}: ${text(`session resumed · ${what}`)}`);
        }
        buffered = [];
        break;
      }
      case 'frame':
        if (entry.buffered) {
          if (entry.id !== undefined) buffered.push({ frame: entry.frame, id: entry.id });
          out(
            `Note over ${G}: ${text(`no stream · buffers ${frameLabel(entry.frame, entry.id)}`)}`,
          );
        } else {
          out(`${G}-)${N}: ${text(frameLabel(entry.frame, entry.id))}`);
        }
        break;
      case 'stream-close':
        out(`Note over ${N},${G}: ${text(`stream closed (${closeReason(entry.reason)})`)}`);
        break;
      case 'step':
        out(`${entry.on}->>${entry.on}: ${text(entry.text)}`);
        break;
      case 'note':
        out(`Note over ${entry.over === 'Gateway' ? G : N}: ${text(entry.text)}`);
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

function isHeartbeat(path: string): boolean {
  return /^\/neuron\/heartbeat(\?|$)/.test(path);
}

function closeReason(reason: string): string {
  const reasons: Record<string, string> = {
    client: 'by the neuron',
    dropped: 'network drop',
    disconnect: 'gateway disconnect',
    replaced: 'replaced by a new stream',
    'gateway-closed': 'gateway shut down',
  };
  return reasons[reason] ?? reason;
}

function tokenName(authorization: string | undefined, tokens: Map<string, number>): string {
  if (authorization === undefined) return 'no token';
  let n = tokens.get(authorization);
  if (n === undefined) {
    n = tokens.size + 1;
    tokens.set(authorization, n);
  }
  return `token ${n}`;
}

type Body = Record<string, unknown>;

/** The fields of a POST body that tell the story; nothing that changes run to run. */
function postSummary(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Body;
  switch (b.type) {
    case 'register': {
      const caps = Array.isArray(b.capabilities) ? (b.capabilities as Body[]) : [];
      const list = caps.map((c) => `${String(c.type)} ×${String(c.concurrency)}`).join(', ');
      return `${String(b.neuronId)} · ${list}`;
    }
    case 'ack':
      return `${String(b.leaseId)} · output ${json(b.output)}`;
    case 'nack': {
      const parts = [String(b.leaseId), String(b.kind)];
      const details = b.details as { phase?: string; errors?: Body[] } | undefined;
      // A code says what the reason would: the reason is drawn only when there is none.
      if (b.code !== undefined) {
        parts.push(String(b.code));
      } else if (details?.phase) {
        const errors = (details.errors ?? []).map((e) => `${String(e.path)} ${String(e.message)}`);
        parts.push(`${details.phase}: ${errors.join(', ')}`);
      } else {
        parts.push(`"${String(b.reason)}"`);
      }
      return parts.join(' · ');
    }
    case 'progress': {
      const parts = [String(b.leaseId)];
      if (typeof b.percent === 'number') parts.push(`${b.percent}%`);
      if (typeof b.message === 'string') parts.push(`"${b.message}"`);
      return parts.join(' · ');
    }
    case 'update-capability':
      return `${String(b.capabilityType)} ×${String(b.concurrency)}`;
    default:
      return undefined;
  }
}

function frameLabel(frame: InboundFrame, id: string | undefined): string {
  const f = frame as Body;
  let label: string;
  switch (frame.type) {
    case 'registered': {
      const caps = Array.isArray(f.capabilities) ? (f.capabilities as Body[]) : [];
      const rejected = Array.isArray(f.rejected) ? (f.rejected as Body[]) : [];
      label = `registered · session ${String(f.sessionId)} · ${caps.map((c) => c.type).join(', ') || 'no capabilities'}`;
      if (rejected.length > 0)
        label += ` · rejected ${rejected.map((r) => `${r.type} ${r.code}`).join(', ')}`;
      break;
    }
    case 'lease': {
      const task = (f.task ?? {}) as Body;
      label = `lease ${String(f.leaseId)} · ${String(task.taskId)} · ${String(f.capabilityType)} · input ${json(task.input)}`;
      break;
    }
    case 'cancel':
      label = `cancel ${String(f.leaseId)}${f.reason === undefined ? '' : ` · "${String(f.reason)}"`}`;
      break;
    case 'disconnect':
      label = `disconnect${f.reason === undefined ? '' : ` · "${String(f.reason)}"`}`;
      if (typeof f.reconnectAfterMs === 'number')
        label += ` · reconnect after ${f.reconnectAfterMs} ms`;
      break;
    case 'capability-revoked':
      label = `capability-revoked · ${String(f.capabilityType)}`;
      break;
    default:
      label = frame.type;
  }
  return id === undefined ? label : `${label} [id ${id}]`;
}

function json(value: unknown): string {
  const s = JSON.stringify(value) ?? 'undefined';
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** Mermaid ends a message at `;`, reads `#` as an entity and `<…>` as HTML. */
function text(s: string): string {
  return s
    .replace(/[;\n\r]/g, ',')
    .replace(/#/g, 'no.')
    .replace(/</g, '‹')
    .replace(/>/g, '›');
}
