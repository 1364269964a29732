import { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { createWebSocketInspector } from '@statelyai/inspect';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startInspectorServer } from '../../src/cli/inspector-server.js';
import { waitForClass, waitForText } from './browser.js';
import {
  cleanup,
  count,
  expectNoExternalRequests,
  gate,
  machineState,
  openDashboard,
  row,
  screenshot,
  sidewaysOverflow,
  useBrowser,
} from './harness.js';

const { browser } = useBrowser();

async function gateway(retryDelayMs = 1_000): Promise<DevGateway> {
  const gw = await createDevGateway({
    heartbeatIntervalMs: 200,
    retryBackoff: { initialMs: retryDelayMs },
  });
  cleanup(() => gw.close());
  return gw;
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
  neuron.handle({ type: 'dash/echo', scope: 'any', concurrency: 1 }, (input) => ({
    echoed: input,
  }));
  neuron.handle({ type: 'dash/flaky', scope: 'any', concurrency: 1 }, () => {
    throw new Error('upstream unavailable (503)');
  });
  cleanup(async () => {
    for (const step of steps) step.open();
    await neuron.stop({ drain: false });
    inspector?.stop();
  });
  return { neuron, steps };
}

/** The width of a task's progress bar fill, as the page set it. */
const fillWidth = (page: Page, taskId: string): Promise<string> =>
  page.$eval(
    `${row(taskId)} .fill`,
    (el) => (el as unknown as { style: { width: string } }).style.width,
  );

describe('the dev dashboard', () => {
  it('shows neurons and tasks live, and each task in full: attempts, progress, outcome, lease machine', async () => {
    const gw = await gateway();
    const opened = await openDashboard(browser(), gw);
    const { page } = opened;
    await waitForText(page, '#neurons', /No neuron has connected yet/);

    const long = gw.submitTask({ capabilityType: 'dash/steps', input: { n: 4 } });
    await waitForText(page, `${row(long.taskId)} td.state`, /^pendingno neuron serves it$/);
    await page.click(row(long.taskId));
    await waitForText(page, '#detail-title', new RegExp(`^${long.taskId}$`));
    expect(page.url()).toMatch(new RegExp(`#/tasks/${long.taskId}$`));
    await waitForText(page, '#detail', /Not delivered yet\./);
    await waitForText(page, '#diagram-lease', /no lease yet \(pending\)/);
    await page.keyboard.press('Escape');
    await waitForText(page, '#page-range', /^1–1 of 1$/);

    const { neuron, steps } = stepsNeuron(gw);
    await neuron.start();
    await waitForText(page, '[data-neuron-id="dash-neuron"] .connection', /^registered$/);
    await waitForText(page, '[data-neuron-id="dash-neuron"]', /dash\/steps.*any · [01]\/2 held/);
    await waitForText(page, `${row(long.taskId)} td.state`, /^leased$/);
    await waitForText(page, `${row(long.taskId)} .pct`, /^25%$/);
    expect(await fillWidth(page, long.taskId)).toBe('25%');
    steps[0]!.open();
    await waitForText(page, `${row(long.taskId)} .pct`, /^50%$/);
    await waitForText(page, `${row(long.taskId)} .progress-message`, /step 2 of 4/);

    const failing = gw.submitTask({ capabilityType: 'dash/divide', input: { a: 1, b: 0 } });
    await waitForText(page, `${row(failing.taskId)} td.state`, /^failed$/);
    await waitForText(
      page,
      `${row(failing.taskId)} td.outcome`,
      /nack terminal DIVIDE_BY_ZERO: cannot divide by zero/,
    );
    // Newest first.
    expect(
      await page.$$eval('#tasks tbody tr', (rows) =>
        rows.map((r) => r.getAttribute('data-task-id')),
      ),
    ).toEqual([failing.taskId, long.taskId]);
    await screenshot(page, 'dashboard');

    await page.click(row(long.taskId));
    await waitForText(page, '#detail .attempt', /Attempt 1.*lease l-\d+.*dash-neuron.*running/);
    await waitForText(page, '#detail .progress-history', /25%step 1 of 4.*50%step 2 of 4/);
    await waitForText(page, '#detail pre.input', /"n": 4/);
    await waitForClass(page, machineState('executing.running'), 'current');
    await waitForText(page, '#diagram-source', /inferred from the gateway: progress arrived/);
    await screenshot(page, 'dashboard-detail');
    steps[1]!.open();
    steps[2]!.open();
    await waitForText(page, '#detail .facts', /stateacked/);
    await waitForText(page, '#detail pre.output', /"steps": 4/);
    await waitForClass(page, machineState('settled'), 'current');
    await waitForClass(page, machineState('acking'), 'visited');

    await page.goto(`${gw.url}/#/tasks/${failing.taskId}`);
    await waitForText(
      page,
      '#detail .attempt .outcome-line',
      /^terminal nack DIVIDE_BY_ZERO: cannot divide by zero$/,
    );
    await waitForText(
      page,
      '#diagram-lease',
      new RegExp(`attempt 1 · lease l-\\d+ · task ${failing.taskId}`),
    );
    await waitForClass(page, machineState('nacking'), 'visited');
    expect(await count(page, '#detail-actions [data-retry]')).toBe(1);

    expectNoExternalRequests(opened, gw);
    expect(opened.errors).toEqual([]);
  }, 40_000);

  it("shows the neuron's live actors and its reported lease state, from the inspector relay", async () => {
    const relay = await startInspectorServer();
    cleanup(() => relay.close());
    const gw = await gateway();
    const opened = await openDashboard(browser(), gw, { path: `?inspect=${relay.wsUrl}` });
    const { page } = opened;
    await waitForText(page, '#feed-inspector', /inspector: live/);
    expect(await page.getAttribute('#stately-link', 'href')).toBe(relay.pageUrl);
    const { neuron, steps } = stepsNeuron(gw, { url: relay.wsUrl });
    await neuron.start();

    const task = gw.submitTask({ capabilityType: 'dash/steps', input: null });
    await waitForText(page, `${row(task.taskId)} .lease-state.reported`, /^executing\.running$/);
    await waitForText(page, '#actors .actor[data-machine="neuron"] > .value', /lifecycle\.serving/);
    await waitForText(page, '#actors .actor[data-machine="connection"] > .value', /registered/);
    await waitForText(
      page,
      '#actors .actor[data-machine="lease"]',
      new RegExp(`^lease l-\\d+ · ${task.taskId} active executing\\.running`),
    );
    await page.click(row(task.taskId));
    await waitForText(
      page,
      '#diagram-source',
      /reported by neuron dash-neuron through the inspector/,
    );
    await waitForClass(page, machineState('executing.running'), 'current');
    await waitForClass(page, machineState('queued'), 'visited');
    await screenshot(page, 'dashboard-inspected');

    for (const step of steps) step.open();
    await waitForText(page, '#actors .actor[data-machine="lease"] > .value', /^settled$/);
    await waitForClass(page, machineState('acking.posting'), 'visited');
    // The actor's task link leads to the task.
    await page.keyboard.press('Escape');
    await page.click(`#actors .actor[data-machine="lease"] a[href="#/tasks/${task.taskId}"]`);
    await waitForText(page, '#detail-title', new RegExp(`^${task.taskId}$`));
    expectNoExternalRequests(opened, gw);
    expect(opened.errors).toEqual([]);
  }, 40_000);

  it('shows every state at once, each saying what it waits for', async () => {
    const gw = await gateway(30_000);
    const { neuron } = stepsNeuron(gw);
    await neuron.start();
    const done = gw.submitTask({ capabilityType: 'dash/echo', input: { text: 'hi' } });
    await gw.waitForTask(done.taskId);
    const failed = gw.submitTask({ capabilityType: 'dash/divide', input: { a: 1, b: 0 } });
    const cancelled = gw.submitTask({ capabilityType: 'dash/nobody', input: null });
    gw.cancelTask(cancelled.taskId, 'not needed');
    const flaky = gw.submitTask({
      capabilityType: 'dash/flaky',
      input: { url: 'https://example.test' },
    });
    const unserved = gw.submitTask({ capabilityType: 'dash/translate', input: { text: 'hola' } });
    const running = gw.submitTask({ capabilityType: 'dash/steps', input: { n: 4 } });
    await gw.waitForTask(failed.taskId);
    await gw.waitForTask(flaky.taskId, (t) => t.retryAt !== undefined);

    const { page, errors } = await openDashboard(browser(), gw);
    await waitForText(page, `${row(running.taskId)} .pct`, /^25%$/);
    await waitForText(page, `${row(unserved.taskId)} td.state`, /^pendingno neuron serves it$/);
    await waitForText(page, `${row(flaky.taskId)} td.state`, /^pendingattempt 2 in \d+\.\d s$/);
    await waitForText(page, `${row(cancelled.taskId)} td.outcome`, /^cancelled: not needed$/);
    await waitForText(page, `${row(failed.taskId)} td.state`, /^failed$/);
    await waitForText(page, `${row(done.taskId)} td.state`, /^acked$/);
    await waitForText(page, '[data-state-filter="all"] .count', /^6$/);
    await screenshot(page, 'dashboard-overview');
    expect(await sidewaysOverflow(page)).toBe(0);
    await page.setViewportSize({ width: 800, height: 1000 });
    await waitForText(page, `${row(running.taskId)} .pct`, /^25%$/);
    expect(await sidewaysOverflow(page)).toBe(0);
    await screenshot(page, 'dashboard-overview-800');
    expect(errors).toEqual([]);
  }, 40_000);
});
