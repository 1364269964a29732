/**
 * examples/deploy: the production entry as an orchestrator runs it (SIGTERM, then a grace period),
 * and the manifests' timings, which must let the drain finish before SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { enrollAt } from './enrolled.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOY = join(ROOT, 'examples/deploy');
/** The SDK's default `shutdownGraceMs`: the wait for the SHUTDOWN nacks after the drain. */
const SHUTDOWN_GRACE_MS = 2_000;

let gw: DevGateway | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await gw?.close();
  gw = undefined;
});

async function startDeployed(
  stopTimeoutMs: number,
): Promise<{ gw: DevGateway; exited: Promise<number | null> }> {
  const gateway = await createDevGateway({ identity: { autoApprove: true, pollIntervalMs: 1 } });
  gw = gateway;
  const file = join(await mkdtemp(join(tmpdir(), 'deploy-')), 'credentials.json');
  await enrollAt(gateway, file, 'deploy-fleet');
  const registered = gateway.waitFor('registered', (e) => e.neuronId === 'hash-pod-1', {
    timeoutMs: 10_000,
  });
  child = spawn(process.execPath, ['--import', 'tsx', 'examples/deploy/neuron.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      BIGBRAIN_GATEWAY_URL: gateway.url,
      BIGBRAIN_NEURON_ID: 'hash-pod-1',
      HOLOKAI_CREDENTIAL_FILE: file,
      NEURON_STOP_TIMEOUT_MS: String(stopTimeoutMs),
    },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
  await registered;
  return { gw: gateway, exited };
}

describe('examples/deploy/neuron.ts under an orchestrator', () => {
  it('on SIGTERM lets the running task finish and report, then exits 0', async () => {
    const { gw, exited } = await startDeployed(5_000);
    const task = gw.submitTask({
      capabilityType: 'examples/progress-cancel',
      input: { items: ['a', 'b', 'c', 'd'], delayMs: 150 },
    });
    await gw.waitFor('progress', (e) => e.taskId === task.taskId);
    const signalled = Date.now();
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(gw.task(task.taskId)?.state).toBe('acked');
  });

  it('aborts what outlasts NEURON_STOP_TIMEOUT_MS, nacks it SHUTDOWN for another replica, and exits within the grace period', async () => {
    const { gw, exited } = await startDeployed(300);
    const task = gw.submitTask({
      capabilityType: 'examples/progress-cancel',
      input: { items: Array.from({ length: 50 }, (_, i) => `item-${i}`), delayMs: 200 },
    });
    await gw.waitFor('progress', (e) => e.taskId === task.taskId);
    const signalled = Date.now();
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(300 + SHUTDOWN_GRACE_MS + 1_000);
    const nacks = gw.requestsTo('nack').map((r) => r.body as { kind: string; code?: string });
    expect(nacks).toEqual([expect.objectContaining({ kind: 'retryable', code: 'SHUTDOWN' })]);
  });
});

describe('the deployment manifests', () => {
  const read = (name: string) => readFile(join(DEPLOY, name), 'utf8');
  const number = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1]);

  it('give the drain and the SHUTDOWN nacks time before SIGKILL', async () => {
    const k8s = await read('kubernetes.yaml');
    const unit = await read('neuron.service');
    const stopMs = number(k8s, /NEURON_STOP_TIMEOUT_MS\s+value: "(\d+)"/);
    expect(stopMs).toBe(number(unit, /NEURON_STOP_TIMEOUT_MS=(\d+)/));
    const budget = stopMs + SHUTDOWN_GRACE_MS;
    expect(number(k8s, /terminationGracePeriodSeconds: (\d+)/) * 1_000).toBeGreaterThan(budget);
    expect(number(unit, /TimeoutStopSec=(\d+)/) * 1_000).toBeGreaterThan(budget);
    expect(number(await read('Dockerfile'), /docker stop -t (\d+)/) * 1_000).toBeGreaterThan(
      budget,
    );
  });

  it('mount the shared credential as the SDK requires, and give each pod its own neuronId', async () => {
    const k8s = await read('kubernetes.yaml');
    expect(k8s).toMatch(/defaultMode: 0600/);
    expect(k8s).toMatch(
      /BIGBRAIN_NEURON_ID\s+valueFrom: \{ fieldRef: \{ fieldPath: metadata\.name \} \}/,
    );
    expect(k8s).toMatch(/HOLOKAI_CREDENTIAL_FILE\s+value: \/var\/run\/neuron\/credentials\.json/);
    expect(k8s).toMatch(/mountPath: \/var\/run\/neuron\s+readOnly: true/);
  });
});
