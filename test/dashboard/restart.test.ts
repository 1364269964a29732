import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { describe, expect, it } from 'vitest';
import { createNeuron } from '../cli/helpers.js';
import { freePort } from '../support/ports.js';
import { waitForText } from './browser.js';
import { cleanup, count, openDashboard, row, screenshot, useBrowser } from './harness.js';

const { browser } = useBrowser();

describe('the dashboard across a gateway restart', () => {
  it('says the neurons are unknown while the gateway is gone, then shows only the new run', async () => {
    const port = await freePort();
    let gw: DevGateway = await createDevGateway({ port });
    cleanup(() => gw.close());
    const neuron = createNeuron(gw.url, 'any', 'outliving');
    cleanup(() => neuron.stop({ drain: false }));
    await neuron.start();
    const first = gw.submitTask({ capabilityType: 'examples/echo', input: 'first run' });
    const second = gw.submitTask({ capabilityType: 'examples/fail', input: 'first run' });
    await gw.waitForTask(second.taskId);
    await gw.waitForTask(first.taskId);

    const { page, errors } = await openDashboard(browser(), gw);
    await waitForText(page, `${row('t-1')} td.outcome`, /ack/);
    await waitForText(page, '[data-neuron-id="outliving"] .connection', /^registered$/);

    await gw.close();
    await waitForText(page, '#feed-gateway', /^gateway: unreachable$/);
    await waitForText(page, '#banner', /The gateway is not answering/);
    await waitForText(
      page,
      '[data-neuron-id="outliving"] .connection',
      /^unknown \(gateway unreachable\)$/,
    );
    expect(await count(page, '#neurons [data-revoke-capability], #neurons [data-disconnect]')).toBe(
      0,
    );
    await screenshot(page, 'dashboard-gateway-down');

    gw = await createDevGateway({ port });
    const fresh = gw.submitTask({ capabilityType: 'examples/nobody', input: 'second run' });
    expect(fresh.taskId).toBe('t-1');
    await waitForText(page, '#feed-gateway', /^gateway: live$/, 10_000);
    await waitForText(page, '#banner', /The gateway restarted at \d\d:\d\d:\d\d/);
    // The new t-1, not the old one merged with it; the old t-2 is gone.
    await waitForText(page, `${row('t-1')} td.mono`, /^t-1$/);
    await waitForText(page, '#tasks tbody', /^t-1examples\/nobodypendingno neuron serves it/);
    expect(await count(page, '#tasks tbody tr')).toBe(1);
    await waitForText(page, '[data-neuron-id="outliving"] .connection', /^registered$/, 10_000);
    await page.goto(`${gw.url}/#/tasks/t-2`);
    await waitForText(page, '#detail', /No task t-2 on this gateway/);
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED|net::ERR/.test(e))).toEqual([]);
  }, 40_000);
});
