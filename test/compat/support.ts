/**
 * Where the examples run: the reference gateway on loopback, the environment the examples read
 * (`GATEWAY_URL`, `GATEWAY_TOKEN`, `HOSTNAME`), the globals of `world.ts`, and cleanup of every
 * neuron and `process` listener an example leaves behind.
 */
import type { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, beforeEach } from 'vitest';
import { installWorld, type World } from './world.js';

export const TOKEN = 'compat-token';
/** The URL the reference's examples hard-code; `sdk-reference.test.ts` routes it to the gateway. */
export const REFERENCE_GATEWAY = 'https://bigbrain.holokai.dev/';

export interface Stage {
  gw: DevGateway;
  world: World;
  /** Stops `neuron` after the test (an example returns the neuron it started). */
  track<N extends Neuron>(neuron: N): N;
}

/** Sets the stage before each test of the file, and takes it down after. */
export function useStage(): Stage {
  const stage = {} as Stage;
  const neurons = new Set<Neuron>();
  const signals = ['SIGTERM', 'SIGINT'] as const;
  let listeners: NodeJS.SignalsListener[][] = [];
  const env = { ...process.env };
  beforeEach(async () => {
    stage.gw = await createDevGateway({ token: TOKEN });
    stage.world = installWorld();
    stage.track = (neuron) => {
      neurons.add(neuron);
      return neuron;
    };
    Object.assign(process.env, {
      GATEWAY_URL: stage.gw.url,
      GATEWAY_TOKEN: TOKEN,
      HOSTNAME: 'compat-host',
    });
    listeners = signals.map((s) => process.listeners(s));
  });
  afterEach(async () => {
    for (const [i, signal] of signals.entries()) {
      for (const listener of process.listeners(signal)) {
        if (!listeners[i]?.includes(listener)) process.off(signal, listener);
      }
    }
    for (const neuron of neurons) await neuron.stop({ drain: false });
    neurons.clear();
    process.env = { ...env };
    await stage.gw.close();
  });
  return stage;
}

/** Submits a task and resolves with it once settled. */
export async function runTask(
  gw: DevGateway,
  capabilityType: string,
  input: unknown,
  options: { onBehalfOf?: string; maxAttempts?: number } = {},
) {
  const task = gw.submitTask({ capabilityType, input, ...options });
  return gw.waitForTask(task.taskId);
}

/** Resolves once the gateway has seen `neuronId` register. */
export function registered(gw: DevGateway, neuronId: string): Promise<unknown> {
  return gw.waitFor('registered', (e) => e.neuronId === neuronId);
}
