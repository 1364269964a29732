import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { describe, expect, it } from 'vitest';
import { createNeuron } from '../cli/helpers.js';
import { waitForText } from './browser.js';
import { cleanup, count, openDashboard, row, screenshot, useBrowser } from './harness.js';

const { browser } = useBrowser();

interface LongTaskWindow {
  longTasks: number[];
  PerformanceObserver: new (
    callback: (list: { getEntries(): { duration: number }[] }) => void,
  ) => { observe(options: { type: string; buffered: boolean }): void };
}

describe('the dashboard with many tasks', () => {
  it('pages 300 tasks newest first, filters them by state and capability, finds one by id, and stays fast', async () => {
    const gw = await createDevGateway();
    cleanup(() => gw.close());
    const neuron = createNeuron(gw.url, 'any', 'bulk');
    cleanup(() => neuron.stop({ drain: false }));
    await neuron.start();
    const { page, errors } = await openDashboard(browser(), gw);
    // Main-thread tasks over 50 ms, as the browser measures them, from here on.
    await page.evaluate(() => {
      const w = globalThis as unknown as LongTaskWindow;
      w.longTasks = [];
      new w.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
      }).observe({ type: 'longtask', buffered: false });
    });

    // 240 tasks the neuron acks, 60 nobody serves, all arriving live.
    for (let i = 1; i <= 300; i += 1) {
      const type = i % 5 === 0 ? 'examples/nobody' : 'examples/echo';
      gw.submitTask({ capabilityType: type, input: i });
    }
    await expect
      .poll(() => gw.tasks().filter((t) => t.state === 'acked').length, { timeout: 20_000 })
      .toBe(240);
    await waitForText(page, '#page-range', /^1–50 of 300$/);
    await waitForText(page, '[data-state-filter="acked"] .count', /^240$/);
    expect(await count(page, '#tasks tbody tr')).toBe(50);
    await waitForText(page, '#tasks tbody tr:first-child td.mono', /^t-300/);
    await screenshot(page, 'dashboard-300-tasks');

    const started = Date.now();
    await page.click('#page-older');
    await waitForText(page, '#page-range', /^51–100 of 300$/);
    await waitForText(page, '#tasks tbody tr:first-child td.mono', /^t-250/);
    expect(Date.now() - started).toBeLessThan(2_000);

    await page.click('[data-state-filter="pending"]');
    await waitForText(page, '#page-range', /^1–50 of 60$/);
    await waitForText(page, `${row('t-300')} td.state`, /no neuron serves it/);
    await page.selectOption('#capability-filter', 'examples/echo');
    await waitForText(page, '#page-range', /^no task matches$/);
    await page.click('[data-state-filter="all"]');
    await waitForText(page, '#page-range', /^1–50 of 240$/);
    await page.selectOption('#capability-filter', '');
    await page.fill('#search', 't-17');
    // t-17 and t-170…t-179.
    await waitForText(page, '#page-range', /^1–11 of 11$/);
    await page.press('#search', 'Enter');
    await waitForText(page, '#detail-title', /^t-17$/);

    const longest = await page.evaluate(() =>
      Math.max(0, ...(globalThis as unknown as LongTaskWindow).longTasks),
    );
    // A frame that long would be felt; rendering one page of rows is far below it.
    expect(longest).toBeLessThan(500);
    expect(errors).toEqual([]);
  }, 60_000);
});
