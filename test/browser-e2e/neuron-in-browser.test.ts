/**
 * Neurons in a real browser (Debian's headless Chromium, through playwright-core): the SDK bundled
 * for the browser by esbuild from src/ (web variants of `#platform/*`), on a page served from
 * another loopback origin than the gateway's. Once over HTTP (CORS, bearer token, fetch streams),
 * once over `IpcTransport` whose bridge reaches the gateway's IPC side in this process. The
 * gateway's books decide.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../browser/paths.js';
import { launchChromium } from '../dashboard/browser.js';
import { type Link, serveBridge } from '../ipc/message-port-bridge.js';
import type { PageApi } from './page.js';

const TOKEN = 'page-token-4b1e';
let browser: Browser;
let site: Server;
let siteUrl: string;

/** The page's script, as an app's bundler would build it for the browser. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: ['test/browser-e2e/page.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // Its paths map the package and its `#platform/*` imports to the web variants in src/.
    tsconfig: 'test/compat/tsconfig.json',
    absWorkingDir: ROOT,
  });
  return result.outputFiles[0]!.text;
}

beforeAll(async () => {
  const [script, launched] = await Promise.all([bundlePage(), launchChromium()]);
  browser = launched;
  // Another origin than the gateway's: every request of the HTTP neuron is cross-origin.
  site = createServer((req, res) => {
    const js = req.url === '/page.js';
    res.writeHead(200, { 'Content-Type': js ? 'text/javascript' : 'text/html' });
    res.end(js ? script : '<!doctype html><script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
});

async function openPage(): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(siteUrl);
  await page.waitForFunction(
    () => typeof (globalThis as unknown as PageApi).startIpc === 'function',
  );
  return { page, pageErrors };
}

/** Register, a lease acked with progress, a cancel: the gateway's records say how it went. */
async function runTasks(gw: DevGateway, neuronId: string): Promise<void> {
  const acked = gw.submitTask({ capabilityType: 'acme/echo', input: { text: 'hi' } });
  expect(await gw.waitForTask(acked.taskId)).toMatchObject({
    state: 'acked',
    outcome: { type: 'ack', output: { echoed: { text: 'hi' }, inPage: true } },
    progress: { count: 1, last: { percent: 50, message: 'half' } },
    history: [{ neuronId }],
  });
  const cancelled = gw.submitTask({ capabilityType: 'acme/echo', input: { wait: true } });
  await gw.waitForTask(cancelled.taskId, ['leased']);
  gw.cancelTask(cancelled.taskId, 'no longer needed');
  expect(await gw.waitForTask(cancelled.taskId)).toMatchObject({
    state: 'cancelled',
    outcome: { type: 'nack', kind: 'cancelled' },
  });
}

describe('a Neuron in a browser page', () => {
  it('runs over HTTP against the dev gateway, cross-origin', async () => {
    const gw = await createDevGateway({ token: TOKEN, heartbeatIntervalMs: 200 });
    const { page, pageErrors } = await openPage();
    try {
      const registered = gw.waitFor('registered', (r) => r.neuronId === 'page-http');
      await page.evaluate(
        ([url, token]) => (globalThis as unknown as PageApi).startHttp(url!, token!),
        [gw.url, TOKEN],
      );
      await registered;
      await runTasks(gw, 'page-http');

      const closed = gw.waitFor('stream:close', (c) => c.neuronId === 'page-http');
      const errors = await page.evaluate(() => (globalThis as unknown as PageApi).stopNeuron());
      await closed;
      expect(errors).toEqual([]);
      expect(pageErrors).toEqual([]);
      const origin = new URL(siteUrl).origin;
      const register = gw.requestsTo('register');
      expect(register).toMatchObject([
        { status: 202, headers: { origin, authorization: `Bearer ${TOKEN}` } },
      ]);
      expect(gw.requestsTo('ack').every((r) => r.headers.origin === origin)).toBe(true);
    } finally {
      await page.close();
      await gw.close();
    }
  });

  it('runs over IpcTransport, its bridge served from this process by the gateway', async () => {
    const gw = await createDevGateway({ token: TOKEN, heartbeatIntervalMs: 200 });
    const { page, pageErrors } = await openPage();
    try {
      // The host's end of the page's bridge: messages in through an exposed function, out
      // through `page.evaluate`, in order.
      let toHost: (message: never) => void = () => {};
      const link: Link<never> = {
        send: (message) =>
          void page
            .evaluate((m) => (globalThis as unknown as PageApi).hostMessage?.(m), message)
            .catch(() => {}),
        listen: (handler) => {
          toHost = handler;
        },
      };
      serveBridge(link, gw.ipcBridge());
      await page.exposeFunction('hostSend', (message: never) => toHost(message));

      const registered = gw.waitFor('registered', (r) => r.neuronId === 'page-ipc');
      await page.evaluate(() => (globalThis as unknown as PageApi).startIpc());
      await registered;
      await runTasks(gw, 'page-ipc');

      const closed = gw.waitFor('stream:close', (c) => c.neuronId === 'page-ipc');
      const errors = await page.evaluate(() => (globalThis as unknown as PageApi).stopNeuron());
      expect(await closed).toEqual({ neuronId: 'page-ipc', reason: 'client' });
      expect(errors).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(gw.requests.length).toBeGreaterThan(0);
      expect(gw.requests.every((r) => r.via === 'ipc')).toBe(true);
    } finally {
      await page.close();
      await gw.close();
    }
  });
});
