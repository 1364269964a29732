import { describe, expect, it } from 'vitest';
import { trackResources } from '../support/resources.js';
import { heartbeat, makeTransport } from './recorder.js';
import { startTestServer } from './test-server.js';

describe('HttpTransport.close', () => {
  it('leaves no socket or timer of the transport behind', async () => {
    const server = await startTestServer();
    const tracked = trackResources();
    const { transport, recorder } = makeTransport(server.url, { requestTimeoutMs: 5_000 });
    await transport.start();
    const stream = await server.nextStream();
    stream.write('data: {"type":"cancel","leaseId":"l-1"}\n\n');
    await recorder.waitFor('frame');
    await Promise.all([
      transport.post('heartbeat', heartbeat),
      transport.post('heartbeat', heartbeat),
    ]);
    expect(tracked.sdkLeftovers().some((r) => r.startsWith('TCPWRAP'))).toBe(true);

    await transport.close();
    await transport.close();
    // Sockets finish closing a moment after close() resolves.
    await expect.poll(() => tracked.sdkLeftovers(), { timeout: 3_000, interval: 20 }).toEqual([]);
    tracked.stop();
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
