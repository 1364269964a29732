import type { NeuronEntry } from './hub.js';
import type { TokenIdentity } from './identity/types.js';
import type { TaskBook } from './tasks.js';
import type { NeuronInfo } from './types.js';

/** Snapshots of the neurons with an open stream or a live session, in the order first seen. */
export function neuronInfos(entries: Iterable<NeuronEntry>, book: TaskBook): NeuronInfo[] {
  const infos: NeuronInfo[] = [];
  for (const entry of entries) {
    if (!entry.channel.open && entry.sessionId === undefined) continue;
    const lastEventId = entry.channel.lastEventId;
    infos.push({
      neuronId: entry.neuronId,
      ...(entry.sessionId !== undefined && { sessionId: entry.sessionId }),
      streamOpen: entry.channel.open,
      stalled: entry.channel.stalled,
      dispatchable: entry.dispatchable,
      ...(lastEventId !== undefined && { lastEventId }),
      ...(entry.protocolVersion !== undefined && { protocolVersion: entry.protocolVersion }),
      ...(entry.sdk !== undefined && { sdk: entry.sdk }),
      capabilities: [...entry.capabilities.values()].map((cap) => ({
        type: cap.type,
        scope: cap.scope,
        concurrency: cap.concurrency,
        held: book.held(entry.neuronId, cap.type),
        revoked: cap.revoked,
        ...(cap.description !== undefined && { description: cap.description }),
        ...(cap.inputSchema !== undefined && { inputSchema: cap.inputSchema }),
        ...(cap.outputSchema !== undefined && { outputSchema: cap.outputSchema }),
        ...(cap.leaseTtlMs !== undefined && { leaseTtlMs: cap.leaseTtlMs }),
      })),
      ...(entry.identity && { identity: publicIdentity(entry.identity) }),
    });
  }
  return infos;
}

function publicIdentity({ kind, sub, orgId }: TokenIdentity): NeuronInfo['identity'] {
  return { kind, sub, ...(orgId !== undefined && { orgId }) };
}
