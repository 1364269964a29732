import { Neuron } from '@holokai/neuron-sdk';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitForText } from './browser.js';
import {
  cleanup,
  count,
  expectNoExternalRequests,
  gate,
  openDashboard,
  row,
  screenshot,
  sidewaysOverflow,
  useBrowser,
} from './harness.js';

const { browser } = useBrowser();

/** A gateway that spaces retries by `backoffMs`, and a neuron serving four capabilities. */
async function consoleSetup(backoffMs = 50) {
  const gw = await createDevGateway({ retryBackoff: { initialMs: backoffMs } });
  cleanup(() => gw.close());
  const slow = gate();
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'console-neuron',
    auth: () => 'any',
    heartbeatIntervalMs: 200,
    initialReconnectDelayMs: 20,
    maxReconnectDelayMs: 100,
  });
  neuron.handle(
    {
      type: 'con/echo',
      scope: 'any',
      concurrency: 2,
      description: 'Echoes its text',
      inputSchema: {
        type: 'object',
        properties: { text: { type: 'string' } },
        required: ['text'],
      },
    },
    (input) => ({ echoed: (input as { text: string }).text }),
  );
  neuron.handle({ type: 'con/flaky', scope: 'any', concurrency: 1 }, () => {
    throw new Error('upstream unavailable (503)');
  });
  neuron.handle({ type: 'con/slow', scope: 'any', concurrency: 1 }, async (_input, ctx) => {
    ctx.progress({ percent: 10, message: 'started' });
    await Promise.race([
      slow.passed,
      new Promise((_, reject) => ctx.signal.addEventListener('abort', reject)),
    ]);
    return 'done';
  });
  const registered = new Promise((resolve) => neuron.once('connection:registered', resolve));
  await neuron.start();
  await registered;
  cleanup(async () => {
    slow.open();
    await neuron.stop({ drain: false });
  });
  return { gw, neuron };
}

/** Types into a field as a person would, replacing what it held. */
async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.fill(selector, '');
  await page.type(selector, text);
}

describe('the dashboard as a console', () => {
  it('submits a task: a capability picker, JSON checked against its input schema, then the task', async () => {
    const { gw } = await consoleSetup();
    const opened = await openDashboard(browser(), gw);
    const { page } = opened;
    await page.click('#new-task');
    expect(await page.$eval('#submit-dialog', (d) => d.hasAttribute('open'))).toBe(true);
    expect(
      await page.$$eval('#submit-types option', (options) =>
        options.map((o) => o.getAttribute('value')),
      ),
    ).toEqual(['con/echo', 'con/flaky', 'con/slow']);
    await typeInto(page, '#submit-type', 'con/echo');
    await waitForText(page, '#submit-about', /^Echoes its text · served by 1 neuron$/);
    // The input starts as what the schema requires.
    expect(JSON.parse(await page.inputValue('#submit-input'))).toEqual({ text: '' });
    await waitForText(
      page,
      '#submit-check',
      /✓ matches the input schema console-neuron advertises/,
    );

    await typeInto(page, '#submit-input', '{"text": ');
    await waitForText(page, '#submit-check', /^Not JSON: /);
    expect(await page.isDisabled('#submit-go')).toBe(true);
    await typeInto(page, '#submit-input', '{"text": 5}');
    await waitForText(
      page,
      '#submit-check',
      /Does not match the input schema .*\/text must be string/,
    );
    await waitForText(page, '#submit-go', /^Submit anyway$/);
    await screenshot(page, 'console-submit-invalid');

    await typeInto(page, '#submit-input', '{"text": "from the console"}');
    await waitForText(page, '#submit-check', /✓ matches/);
    await page.click('#submit-go');
    await waitForText(page, '#toast', /^Submitted t-1\.$/);
    expect(await page.$eval('#submit-dialog', (d) => d.hasAttribute('open'))).toBe(false);
    await waitForText(page, '#detail-title', /^t-1$/);
    await waitForText(page, '#detail pre.output', /"echoed": "from the console"/);
    expect(gw.task('t-1')).toMatchObject({ input: { text: 'from the console' }, state: 'acked' });

    // Submitted anyway, a bad input comes back a schema-mismatch, each error shown.
    await page.click('#new-task');
    await typeInto(page, '#submit-input', '{"text": 5}');
    await waitForText(page, '#submit-go', /^Submit anyway$/);
    await page.click('#submit-go');
    await waitForText(page, '#detail-title', /^t-2$/);
    await waitForText(
      page,
      '#detail .attempt .outcome-line',
      /^schema-mismatch nack \(input\): input does not match/,
    );
    await waitForText(page, '#detail .schema-errors tbody', /^\/textmust be string$/);
    await screenshot(page, 'console-schema-errors');
    expectNoExternalRequests(opened, gw);
    expect(opened.errors).toEqual([]);
  }, 40_000);

  it('shows a task waiting out its retry backoff, retries it once failed, and cancels a running one', async () => {
    const { gw } = await consoleSetup(1_500);
    const { page, errors } = await openDashboard(browser(), gw);
    const flaky = gw.submitTask({ capabilityType: 'con/flaky', input: { n: 1 }, maxAttempts: 2 });
    // The wait shows in the list and in the detail, counting down.
    await waitForText(page, `${row(flaky.taskId)} td.state`, /^pendingattempt 2 in 1\.\d s$/);
    await page.click(row(flaky.taskId));
    await waitForText(page, '#detail .facts', /attempt 2 in (1\.\d|0\.\d) s/);
    await screenshot(page, 'console-retry-backoff');
    await waitForText(page, '#detail .facts', /statefailed/, 8_000);
    await waitForText(page, '#detail', /↓ waited 1\.\d s before attempt 2/);
    await waitForText(
      page,
      '#detail .attempt:last-of-type .outcome-line',
      /^retryable nack: upstream unavailable \(503\)$/,
    );

    await page.click('#detail-actions [data-retry]');
    await waitForText(page, '#toast', new RegExp(`^Retrying ${flaky.taskId} as t-2\\.$`));
    await waitForText(page, '#detail-title', /^t-2$/);
    await waitForText(page, '#detail .facts', new RegExp(`retry of${flaky.taskId}`));
    expect(gw.task('t-2')).toMatchObject({ retryOf: flaky.taskId, input: { n: 1 } });

    const slow = gw.submitTask({ capabilityType: 'con/slow', input: null });
    await page.goto(`${gw.url}/#/tasks/${slow.taskId}`);
    await waitForText(page, '#detail .progress-history', /10%started/);
    await page.click('#detail-actions [data-cancel]');
    await waitForText(page, '#detail .facts', /statecancelled/);
    expect(gw.task(slow.taskId)).toMatchObject({
      state: 'cancelled',
      outcome: { type: 'nack', kind: 'cancelled' },
      cancelRequested: { reason: 'cancelled from the dashboard' },
    });
    expect(await count(page, '#detail-actions [data-retry]')).toBe(1);
    expect(errors).toEqual([]);
  }, 40_000);

  it('revokes a capability and disconnects a neuron; a pending task nobody serves says so', async () => {
    const { gw, neuron } = await consoleSetup();
    const { page, errors } = await openDashboard(browser(), gw);
    const echo = '[data-neuron-id="console-neuron"] li[data-capability="con/echo"]';
    await page.click(`${echo} [data-revoke-capability]`);
    await waitForText(page, '#toast', /^Revoked con\/echo from console-neuron: /);
    await waitForText(page, echo, /revoked/);
    expect(gw.neurons()[0]!.capabilities.find((c) => c.type === 'con/echo')!.revoked).toBe(true);

    const waiting = gw.submitTask({ capabilityType: 'con/echo', input: { text: 'later' } });
    await waitForText(page, `${row(waiting.taskId)} td.state`, /^pendingno neuron serves it$/);
    await page.click(row(waiting.taskId));
    await waitForText(page, '#detail .facts', /no neuron serves it/);
    await page.keyboard.press('Escape');

    // A disconnected neuron reconnects and registers again, its capabilities whole: the task runs.
    const back = new Promise((resolve) => neuron.once('connection:registered', resolve));
    await page.click('[data-neuron-id="console-neuron"] [data-disconnect]');
    await waitForText(page, '#toast', /^Disconnected console-neuron; it reconnects on its own\.$/);
    await back;
    await waitForText(page, `${row(waiting.taskId)} td.state`, /^acked$/);
    await waitForText(page, '[data-neuron-id="console-neuron"] .connection', /^registered$/);
    expect(errors).toEqual([]);
  }, 40_000);

  it('works from the keyboard, and reads at 800 px', async () => {
    const { gw } = await consoleSetup();
    for (let i = 0; i < 3; i += 1)
      gw.submitTask({ capabilityType: 'con/echo', input: { text: `k${i}` } });
    await gw.waitForTask('t-3');
    const { page, errors } = await openDashboard(browser(), gw, { width: 800 });
    await waitForText(page, '#page-range', /^1–3 of 3$/);
    const focused = () =>
      page.evaluate(
        () =>
          (
            globalThis as unknown as {
              document: { activeElement: { getAttribute(n: string): string | null } };
            }
          ).document.activeElement.getAttribute('data-key') ?? '',
      );

    await page.keyboard.press('/');
    await page.keyboard.type('t-2');
    await waitForText(page, '#page-range', /^1–1 of 1$/);
    await page.keyboard.press('Enter');
    await waitForText(page, '#detail-title', /^t-2$/);
    await screenshot(page, 'console-800-detail');
    await page.keyboard.press('Escape');
    await waitForText(page, '#page-range', /^1–1 of 1$/);
    await expect.poll(focused).toBe('row:t-2');

    await page.fill('#search', '');
    await page.focus(row('t-3'));
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('row:t-2');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await waitForText(page, '#detail-title', /^t-1$/);
    await page.keyboard.press('Escape');

    await page.keyboard.press('n');
    await expect.poll(() => page.$eval('#submit-dialog', (d) => d.hasAttribute('open'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect
      .poll(() => page.$eval('#submit-dialog', (d) => d.hasAttribute('open')))
      .toBe(false);

    // Nothing sticks out sideways at 800 px: no horizontal scrolling of the page.
    expect(await sidewaysOverflow(page)).toBe(0);
    await screenshot(page, 'console-800');
    await page.goto(`${gw.url}/#/tasks/t-1`);
    await waitForText(page, '#detail-title', /^t-1$/);
    expect(await sidewaysOverflow(page)).toBe(0);
    expect(errors).toEqual([]);
  }, 40_000);
});
