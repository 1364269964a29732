import { createHook } from 'node:async_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDevGateway } from '../../src/dev-gateway/index.js';
import { connect, echo } from '../dev-gateway/sse-client.js';
import { authorizeDevice, enroll, mint } from './oauth.js';

/** Timers, sockets and servers created from now on (by the gateway and by the test's clients). */
function trackResources() {
  const alive = new Map<number, string>();
  const hook = createHook({
    init: (id, type) => {
      if (['Timeout', 'TCPWRAP', 'TCPSERVERWRAP'].includes(type)) alive.set(id, type);
    },
    destroy: (id) => alive.delete(id),
  }).enable();
  return {
    ids: () => [...alive.keys()],
    stillAlive: (ids: number[]) => ids.filter((id) => alive.has(id)).map((id) => alive.get(id)),
    stop: () => hook.disable(),
  };
}

describe('a gateway with an identity provider and a state folder', () => {
  it('leaves no server, socket or timer behind on close, with enrolled neurons connected', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neuron-idp-life-'));
    const resources = trackResources();
    try {
      const gw = await createDevGateway({ identity: true, stateDir: join(dir, 'state') });
      const token = await mint(gw, await enroll(gw));
      const { stream } = await connect(gw.url, 'n1', [echo], { token });
      await authorizeDevice(gw, { name: 'left pending' });
      const events = request(`${gw.url}/__dev__/events`, { agent: false });
      await new Promise((resolve) => events.on('response', resolve).end());
      await gw.close();
      await stream.closed;
      const atClose = resources.ids();
      await expect.poll(() => resources.stillAlive(atClose)).toEqual([]);
    } finally {
      resources.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
