import { join } from 'node:path';
import { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { createWebSocketInspector } from '@statelyai/inspect';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InspectorServer, startInspectorServer } from '../../src/cli/inspector-server.js';
import { ARTIFACTS, launchChromium, waitForClass, waitForText } from './browser.js';

/** A promise the test resolves when it wants the handler to go on. */
function gate(): { passed: Promise<void>; open: () => void } {
  let open = (): void => {};
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { passed, open };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A gateway, a page on its dashboard, and what the page asked for and complained about. */
async function openDashboard(
  query = '',
): Promise<{ gw: DevGateway; page: Page; seen: string[]; errors: string[] }> {
  const gw = await createDevGateway({ heartbeatIntervalMs: 200 });
  cleanups.push(() => gw.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  cleanups.push(() => page.close());
  const seen: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => seen.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${gw.url}/${query}`);
  await waitForText(page, '#feed-gateway', /gateway: live/);
  return { gw, page, seen, errors };
}

/** A neuron with a stepped capability (25 % per step, each step waiting for a gate) and a failing one. */
function stepsNeuron(gw: DevGateway, inspect?: Parameters<typeof createWebSocketInspector>[0]) {
  const steps = [gate(), gate(), gate()];
  const inspector = inspect && createWebSocketInspector(inspect);
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'dash-neuron',
    auth: () => 'any',
    heartbeatIntervalMs: 200,
    ...(inspector && { inspect: inspector.inspect }),
  });
  neuron.handle({ type: 'dash/steps', scope: 'any', concurrency: 2 }, async (_input, ctx) => {
    for (const [i, step] of steps.entries()) {
      ctx.progress({ percent: (i + 1) * 25, message: `step ${i + 1} of 4` });
      await step.passed;
    }
    return { steps: 4 };
  });
  neuron.handle({ type: 'dash/divide', scope: 'any', concurrency: 1 }, (_input, ctx) =>
    ctx.fail('cannot divide by zero', { code: 'DIVIDE_BY_ZERO' }),
  );
  cleanups.push(async () => {
    for (const step of steps) step.open();
    await neuron.stop({ drain: false });
    inspector?.stop();
  });
  return { neuron, steps };
}

const row = (taskId: string): string => `tr[data-task-id="${taskId}"]`;
/** The width of a task's progress bar fill, as the page set it. */
const fillWidth = (page: Page, taskId: string): Promise<string> =>
  page.$eval(
    `${row(taskId)} .fill`,
    (el) => (el as unknown as { style: { width: string } }).style.width,
  );
const state = (path: string): string => `svg.machine [data-state="${path}"]`;

describe('the dev dashboard', () => {
  it('shows neurons and tasks live: pending, leased with moving progress, failed, acked', async () => {
    const { gw, page, seen, errors } = await openDashboard();
    await waitForText(page, '#neurons', /No neuron has connected yet/);

    const long = gw.submitTask({ capabilityType: 'dash/steps', input: { n: 4 } });
    await waitForText(page, `${row(long.taskId)} td.state`, /^pending$/);
    await page.click(row(long.taskId));
    await waitForText(page, '#diagram-lease', /no lease yet \(pending\)/);

    const { neuron, steps } = stepsNeuron(gw);
    await neuron.start();
    await waitForText(page, '[data-neuron-id="dash-neuron"] .connection', /^registered$/);
    await waitForText(page, '[data-neuron-id="dash-neuron"]', /dash\/steps.*any · [01]\/2 held/);
    await waitForText(page, `${row(long.taskId)} td.state`, /^leased$/);
    await waitForText(page, `${row(long.taskId)} .pct`, /^25%$/);
    await waitForClass(page, state('executing.running'), 'current');
    await waitForText(page, '#diagram-source', /inferred from the gateway: progress arrived/);
    expect(await fillWidth(page, long.taskId)).toBe('25%');

    steps[0]!.open();
    await waitForText(page, `${row(long.taskId)} .pct`, /^50%$/);
    await waitForText(page, `${row(long.taskId)} .progress-message`, /step 2 of 4/);
    expect(await fillWidth(page, long.taskId)).toBe('50%');

    const failing = gw.submitTask({ capabilityType: 'dash/divide', input: { a: 1, b: 0 } });
    await waitForText(page, `${row(failing.taskId)} td.state`, /^failed$/);
    await waitForText(
      page,
      `${row(failing.taskId)} td.outcome`,
      /nack terminal DIVIDE_BY_ZERO: cannot divide by zero/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    steps[1]!.open();
    steps[2]!.open();
    await waitForText(page, `${row(long.taskId)} td.state`, /^acked$/);
    await waitForText(page, `${row(long.taskId)} .pct`, /^100%$/);
    await waitForText(page, `${row(long.taskId)} td.outcome`, /ack · \d+ ms · \{"steps":4\}/);
    await waitForClass(page, state('settled'), 'current');
    await waitForClass(page, state('acking'), 'visited');

    await page.click(row(failing.taskId));
    await waitForText(page, '#diagram-lease', new RegExp(`task ${failing.taskId}$`));
    await waitForClass(page, state('nacking'), 'visited');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-settled.png'), fullPage: true });

    const origin = new URL(gw.url).origin;
    expect(seen.filter((url) => !url.startsWith(origin))).toEqual([]);
    expect(errors).toEqual([]);
  }, 30_000);

  it('shows the lease state the neuron reports through the inspector relay', async () => {
    const relay: InspectorServer = await startInspectorServer();
    cleanups.push(() => relay.close());
    const { gw, page, errors } = await openDashboard(`?inspect=${relay.wsUrl}`);
    await waitForText(page, '#feed-inspector', /inspector: live/);
    const { neuron, steps } = stepsNeuron(gw, { url: relay.wsUrl });
    await neuron.start();

    const task = gw.submitTask({ capabilityType: 'dash/steps', input: null });
    await page.click(row(task.taskId));
    await waitForText(page, `${row(task.taskId)} .lease-state.reported`, /^executing\.running$/);
    await waitForText(
      page,
      '#diagram-source',
      /reported by neuron dash-neuron through the inspector/,
    );
    await waitForClass(page, state('executing.running'), 'current');
    await waitForClass(page, state('queued'), 'visited');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-inspected.png'), fullPage: true });

    for (const step of steps) step.open();
    await waitForText(page, `${row(task.taskId)} .lease-state.reported`, /^settled$/);
    await waitForClass(page, state('acking.posting'), 'visited');
    expect(errors).toEqual([]);
  }, 30_000);
});
