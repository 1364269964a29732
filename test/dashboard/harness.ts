/**
 * What the dashboard tests share: one headless Chromium per file, a page opened on a gateway's
 * dashboard that records every request it makes and every error it logs, cleanups run after each
 * test, and screenshots under `test/artifacts/` for a person to look at.
 */
import { join } from 'node:path';
import type { DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ARTIFACTS, launchChromium, waitForText } from './browser.js';

export interface Opened {
  page: Page;
  /** Every URL the page requested. */
  seen: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** Registers the file's browser and the per-test cleanups; returns how to reach the browser. */
export function useBrowser(): { browser: () => Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return { browser: () => browser! };
}

/** Runs after the current test, last registered first. */
export function cleanup(fn: () => Promise<unknown> | unknown): void {
  cleanups.push(fn);
}

/** A page on the gateway's dashboard, once its event stream is live. */
export async function openDashboard(
  browser: Browser,
  gw: DevGateway,
  options: { path?: string; width?: number; height?: number } = {},
): Promise<Opened> {
  const page = await browser.newPage({
    viewport: { width: options.width ?? 1400, height: options.height ?? 1000 },
  });
  cleanup(() => page.close());
  const seen: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => seen.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${gw.url}/${options.path ?? ''}`);
  await waitForText(page, '#feed-gateway', /gateway: live/);
  return { page, seen, errors };
}

/** The page asked nothing of any other origin than the gateway's (and loopback WebSockets). */
export function expectNoExternalRequests(opened: Opened, gw: DevGateway): void {
  const origin = new URL(gw.url).origin;
  expect(opened.seen.filter((url) => !url.startsWith(origin))).toEqual([]);
}

export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A promise the test resolves when it wants a handler to go on. */
export function gate(): { passed: Promise<void>; open: () => void } {
  let open = (): void => {};
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { passed, open };
}

export const row = (taskId: string): string => `#tasks tr[data-task-id="${taskId}"]`;
export const machineState = (path: string): string => `svg.machine [data-state="${path}"]`;

/** How many elements match, now. */
export function count(page: Page, selector: string): Promise<number> {
  return page.$$eval(selector, (els) => els.length);
}

/** How far the page scrolls sideways (0: everything fits the window's width). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (
      globalThis as unknown as {
        document: { documentElement: { scrollWidth: number; clientWidth: number } };
      }
    ).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}
