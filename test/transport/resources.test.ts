import { describe, expect, it } from 'vitest';
import type { HeartbeatFrame } from '../../src/protocol/frames.js';
import { makeTransport } from './recorder.js';
import { startTestServer } from './test-server.js';

const heartbeat: HeartbeatFrame = {
  type: 'heartbeat',
  neuronId: 'worker 1/a',
  sessionId: 's-1',
  inFlight: [],
  sentAt: '2026-01-01T12:00:00.000Z',
};

function resources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

/**
 * The server's side of each connection closes a moment after the client's, so this polls
 * (with a timer that has fired, and so is gone, by the time resources are compared).
 */
async function settledTo(expected: string[]): Promise<string[]> {
  let now = resources();
  for (let i = 0; i < 50 && now.join() !== expected.join(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = resources();
  }
  return now;
}

describe('HttpTransport.close', () => {
  it('leaves no socket or timer of the transport behind', async () => {
    const server = await startTestServer();
    const baseline = resources();
    const { transport, recorder } = makeTransport(server.url, { requestTimeoutMs: 5_000 });
    await transport.start();
    const stream = await server.nextStream();
    stream.write('data: {"type":"cancel","leaseId":"l-1"}\n\n');
    await recorder.waitFor('frame');
    await Promise.all([
      transport.post('heartbeat', heartbeat),
      transport.post('heartbeat', heartbeat),
    ]);
    expect(resources().filter((name) => name === 'TCPSocketWrap').length).toBeGreaterThan(0);

    await transport.close();
    await transport.close();
    expect(await settledTo(baseline)).toEqual(baseline);
    expect(recorder.of('close')).toEqual([]);
    await server.close();
  });

  it('refuses start() after close()', async () => {
    const server = await startTestServer();
    const { transport } = makeTransport(server.url);
    await transport.close();
    await expect(transport.start()).rejects.toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
    await server.close();
  });
});
