import { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import {
  createWebSocketInspector,
  createWebSocketReceiver,
  type StatelyInspectionEvent,
} from '@statelyai/inspect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLocalOrigin, startInspectorServer } from '../../src/cli/inspector-server.js';
import { activeHandles, get, upgrade } from './support.js';

/** Loaded CI machines are slow: vi.waitFor's default second is not enough. */
const WAIT = { timeout: 5_000 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The machine an actor runs, from its `@xstate.actor` event's definition. */
function machineOf(event: StatelyInspectionEvent): string | undefined {
  if (event.type !== '@xstate.actor' || event.definition === undefined) return undefined;
  return (JSON.parse(event.definition) as { id?: string }).id;
}

/** Every state value each machine's actors went through, in order, as JSON. */
function statesByMachine(events: readonly StatelyInspectionEvent[]): Map<string, string[]> {
  const machineOfSession = new Map<string, string>();
  const states = new Map<string, string[]>();
  for (const event of events) {
    const machine = machineOf(event) ?? machineOfSession.get(event.sessionId);
    if (machine === undefined) continue;
    machineOfSession.set(event.sessionId, machine);
    // An actor event carries the snapshot of when it was sent (a tick later), not of creation.
    if (event.type !== '@xstate.snapshot') continue;
    const value = JSON.stringify((event.snapshot as { value?: unknown }).value);
    if (value === undefined) continue;
    const seen = states.get(machine) ?? [];
    if (seen.at(-1) !== value) seen.push(value);
    states.set(machine, seen);
  }
  return states;
}

describe('the inspector relay', () => {
  it('listens on 127.0.0.1 only, serves its bridge page, and leaves no socket behind', async () => {
    const before = activeHandles();
    const relay = await startInspectorServer();
    expect(relay.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(relay.pageUrl).toBe(relay.wsUrl.replace('ws:', 'http:'));

    const page = await get(relay.pageUrl);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`new WebSocket("${relay.wsUrl}")`);
    expect(page.body).toContain('src="https://stately.ai/inspect"');
    expect((await get(`${relay.pageUrl}/nope`)).status).toBe(404);

    const receiver = createWebSocketReceiver({ server: relay.wsUrl });
    receiver.subscribe(() => {});
    await vi.waitFor(() => expect(relay.clientCount()).toBe(1), WAIT);
    await relay.close();
    await expect(get(relay.pageUrl)).rejects.toThrow(/ECONNREFUSED/);
    // Polled by hand: vi.waitFor's own timers would count.
    const surplus = async (): Promise<string[]> => {
      for (let i = 0; ; i += 1) {
        const after = activeHandles();
        const more = Object.keys(after).filter((kind) => after[kind]! > (before[kind] ?? 0));
        if (more.length === 0 || i === 50) return more;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    expect(await surplus()).toEqual([]);
  });

  it("relays a neuron's connection and lease actors, and their state changes, to a WebSocket receiver", async () => {
    const relay = await startInspectorServer();
    cleanups.push(() => relay.close());
    const received: StatelyInspectionEvent[] = [];
    createWebSocketReceiver({ server: relay.wsUrl }).subscribe((event) => received.push(event));
    await vi.waitFor(() => expect(relay.clientCount()).toBe(1), WAIT);

    const gw = await createDevGateway();
    cleanups.push(() => gw.close());
    const inspector = createWebSocketInspector({ url: relay.wsUrl });
    cleanups.push(() => inspector.stop());
    const neuron = new Neuron({
      gatewayUrl: gw.url,
      neuronId: 'inspected',
      auth: () => 'secret-token-7f3a',
      inspect: inspector.inspect,
    });
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    await neuron.start();
    const task = gw.submitTask({ capabilityType: 'acme/echo', input: 'hi' });
    expect((await gw.waitForTask(task.taskId)).state).toBe('acked');
    await neuron.stop();

    await vi.waitFor(() => {
      const states = statesByMachine(received);
      expect(states.get('lease')).toContain('"settled"');
      expect(states.get('connection')).toContain('"stopped"');
    }, WAIT);
    const actors = received.filter((e) => e.type === '@xstate.actor').map(machineOf);
    expect(actors).toEqual(expect.arrayContaining(['neuron', 'connection', 'lease']));
    const lease = received.find((e) => machineOf(e) === 'lease')!;
    expect(lease).toMatchObject({ name: 'l-1', snapshot: { context: { taskId: task.taskId } } });

    expect(JSON.stringify(received)).not.toContain('secret-token-7f3a');
    const states = statesByMachine(received);
    // Validation is synchronous: the lease is first seen queued.
    expect(states.get('lease')).toEqual([
      '"queued"',
      '{"executing":"running"}',
      '{"acking":"posting"}',
      '"settled"',
    ]);
    const connection = states.get('connection')!;
    expect(connection[0]).toBe('"connecting"');
    expect(connection.some((value) => /"open":.*"registered"/.test(value))).toBe(true);
    expect(connection.at(-1)).toBe('"stopped"');
  });

  it('replays what it has relayed to a receiver that connects later', async () => {
    const relay = await startInspectorServer();
    cleanups.push(() => relay.close());
    const inspector = createWebSocketInspector({ url: relay.wsUrl });
    cleanups.push(() => inspector.stop());
    inspector.actor('late-actor', { status: 'active', context: { n: 1 } });
    await vi.waitFor(() => expect(relay.clientCount()).toBe(1), WAIT);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const received: StatelyInspectionEvent[] = [];
    createWebSocketReceiver({ server: relay.wsUrl }).subscribe((event) => received.push(event));
    await vi.waitFor(
      () => expect(received).toContainEqual(expect.objectContaining({ name: 'late-actor' })),
      WAIT,
    );
  });

  it('refuses a WebSocket from a web page of another origin', async () => {
    const relay = await startInspectorServer();
    cleanups.push(() => relay.close());
    expect(await upgrade(relay.wsUrl, 'https://evil.example')).toBe(401);
    expect(await upgrade(relay.wsUrl, 'http://127.0.0.1:7777')).toBe(101);
    expect(await upgrade(relay.wsUrl, undefined)).toBe(101);
    expect(isLocalOrigin('http://localhost:3000')).toBe(true);
    expect(isLocalOrigin('http://127.0.0.1.evil.example')).toBe(false);
    expect(isLocalOrigin('null')).toBe(false);
  });
});
