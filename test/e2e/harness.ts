/**
 * One real `Neuron` with its `HttpTransport` against the reference gateway, over loopback.
 * `stop()` asserts the SDK left no timer or socket behind.
 */

import {
  type LeaseFrame,
  Neuron,
  type NeuronEventMap,
  type NeuronOptionsWithHttp,
  type NeuronRunOptions,
} from '@holokai/neuron-sdk';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '@holokai/neuron-sdk/dev-gateway';
import { expect } from 'vitest';
import { trackResources } from '../support/resources.js';

export const TOKEN = 'test-token-6f1d2c';

export type RecordedEvent = {
  [E in keyof NeuronEventMap]: [E, ...NeuronEventMap[E]];
}[keyof NeuronEventMap];

export interface Harness {
  gw: DevGateway;
  neuron: Neuron;
  /** Every event the neuron emitted, in order. */
  events: RecordedEvent[];
  errors: Error[];
  /** How many times `auth` was called. */
  authCalls: () => number;
  /** `neuron.start()`, then wait for the gateway to see it registered. */
  start(): Promise<void>;
  /** `neuron.stop(options)`, assert no SDK leftovers, then close the gateway. */
  stop(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}

const live = new Set<Harness>();

export interface HarnessOptions {
  gateway?: DevGatewayOptions;
  neuron?: Partial<NeuronOptionsWithHttp> & NeuronRunOptions;
  auth?: () => string | Promise<string>;
}

/** A neuron on `gw` with fast test timings, every event it emits recorded, `auth` counted. */
export function recordedNeuron(
  gw: DevGateway,
  options: Pick<HarnessOptions, 'neuron' | 'auth'> = {},
): Omit<Harness, 'stop'> {
  let calls = 0;
  const auth = options.auth ?? (() => TOKEN);
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'neuron-1',
    auth: () => {
      calls++;
      return auth();
    },
    heartbeatIntervalMs: 200,
    initialReconnectDelayMs: 20,
    maxReconnectDelayMs: 200,
    ...options.neuron,
  });
  const events: RecordedEvent[] = [];
  const errors: Error[] = [];
  const names: Array<keyof NeuronEventMap> = [
    'connection:open',
    'connection:registered',
    'connection:close',
    'connection:reconnecting',
    'error',
    'frame',
    'lease:received',
    'lease:settled',
  ];
  for (const name of names) {
    neuron.on(name, (...args: unknown[]) => events.push([name, ...args] as RecordedEvent));
  }
  neuron.on('error', (err) => errors.push(err));
  return {
    gw,
    neuron,
    events,
    errors,
    authCalls: () => calls,
    async start() {
      const registered = gw.waitFor('registered', (e) => e.neuronId === neuron.neuronId);
      await neuron.start();
      await registered;
    },
  };
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const gw = await createDevGateway({ token: TOKEN, ...options.gateway });
  const resources = trackResources();
  const recorded = recordedNeuron(gw, options);
  const harness: Harness = {
    ...recorded,
    async stop(stopOptions) {
      live.delete(harness);
      try {
        await recorded.neuron.stop(stopOptions);
        await expect
          .poll(() => resources.sdkLeftovers(), { timeout: 2_000, interval: 20 })
          .toEqual([]);
      } finally {
        resources.stop();
        await gw.close();
      }
    },
  };
  live.add(harness);
  return harness;
}

/** For `afterEach`: stop whatever a failed test left running. */
export async function disposeHarnesses(): Promise<void> {
  for (const h of [...live]) {
    live.delete(h);
    await h.neuron.stop({ drain: false }).catch(() => {});
    await h.gw.close().catch(() => {});
  }
}

/** The events of one name, payloads only. */
export function eventsNamed<E extends keyof NeuronEventMap>(
  events: RecordedEvent[],
  name: E,
): NeuronEventMap[E][] {
  return events.filter((e) => e[0] === name).map((e) => e.slice(1) as NeuronEventMap[E]);
}

/**
 * A lease frame for `gw.sendFrame`, past the gateway's own dispatch (the gateway never issued it,
 * so it answers the outcome 410). Defaults: task `t-<leaseId>`, input `null`, type `acme/echo`.
 */
export function leaseFrame(
  leaseId: string,
  options: { taskId?: string; input?: unknown; capabilityType?: string } = {},
): LeaseFrame {
  return {
    type: 'lease',
    leaseId,
    capabilityType: options.capabilityType ?? 'acme/echo',
    task: { taskId: options.taskId ?? `t-${leaseId}`, input: options.input ?? null },
    expiresAt: new Date(Date.now() + 30_000).toISOString(),
  };
}

/** Tokens `tok-1`, `tok-2`…, all accepted: each request shows which `auth` call it carries. */
export function rotatingAuth(): Pick<HarnessOptions, 'gateway' | 'auth'> {
  let n = 0;
  return {
    gateway: { acceptToken: (token: string) => token.startsWith('tok-') },
    auth: () => `tok-${++n}`,
  };
}
