/**
 * The fake host playing the gateway's part of PROTOCOL.md for one neuron: it answers `register`
 * with 202 and then sends `registered`, answers heartbeats and outcomes with 200, and sends
 * leases on demand. Enough to run a real `Neuron` over `IpcTransport` without a network.
 */
import type { LeaseFrame, RegisterFrame } from '@holokai/neuron-sdk';
import { type FakeHost, fakeHost } from './fake-host.js';

export interface GatewayHost extends FakeHost {
  /** Sends a lease for `acme/echo` (or `capabilityType`), expiring in 30 s. */
  lease(leaseId: string, input: unknown, capabilityType?: string): LeaseFrame;
}

export function gatewayHost(): GatewayHost {
  const host = fakeHost();
  let sessions = 0;
  host.answer = (path, frame) => {
    if (path === 'register') {
      const { capabilities } = frame as RegisterFrame;
      // As a gateway does: the POST is answered first, the registration arrives on the stream.
      setTimeout(() => {
        host.send({
          type: 'registered',
          sessionId: `s-${++sessions}`,
          capabilities: capabilities.map(({ type, scope, concurrency }) => ({
            type,
            scope,
            concurrency,
          })),
        });
      });
      return { status: 202 };
    }
    return { status: 200, body: path === 'heartbeat' ? {} : undefined };
  };
  return Object.assign(host, {
    lease(leaseId: string, input: unknown, capabilityType = 'acme/echo'): LeaseFrame {
      const frame: LeaseFrame = {
        type: 'lease',
        leaseId,
        capabilityType,
        task: { taskId: `t-${leaseId}`, input },
        expiresAt: new Date(Date.now() + 30_000).toISOString(),
      };
      host.send(frame);
      return frame;
    },
  });
}
