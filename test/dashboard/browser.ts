/**
 * Headless Chrome or Chromium for the dashboard tests, driven by playwright-core. No download: the
 * system's browser that `test/support/chromium.ts` (vitest's globalSetup) found or installed, and
 * every flag that would make it talk to the network on its own turned off.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/**
 * The little of the DOM the page functions below touch: this project compiles without the `dom`
 * lib. (Functions, not strings: the dashboard's Content-Security-Policy forbids `eval`.)
 */
interface PageWindow {
  document: {
    querySelector(selector: string): {
      textContent: string | null;
      classList: { contains(name: string): boolean };
    } | null;
  };
}

export async function launchChromium(): Promise<Browser> {
  const found = inject('browser');
  if ('error' in found) throw new Error(found.error);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: found.path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Resolves once `selector`'s text matches; on timeout, fails saying what the page showed.
 */
export async function waitForText(
  page: Page,
  selector: string,
  expected: RegExp,
  timeoutMs = 5_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, source, flags]) => {
        const el = (globalThis as unknown as PageWindow).document.querySelector(sel!);
        return el !== null && new RegExp(source!, flags).test(el.textContent ?? '');
      },
      [selector, expected.source, expected.flags],
      { timeout: timeoutMs },
    );
  } catch {
    const shown = await page
      .$eval(selector, (el) => el.textContent)
      .catch(() => '(no such element)');
    throw new Error(
      `${selector} did not show ${expected} within ${timeoutMs} ms; it shows ${JSON.stringify(shown)}`,
    );
  }
}

/** Resolves once `selector` has the class; on timeout, fails with the classes it has. */
export async function waitForClass(
  page: Page,
  selector: string,
  className: string,
  timeoutMs = 5_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, name]) =>
        (globalThis as unknown as PageWindow).document
          .querySelector(sel!)
          ?.classList.contains(name!) ?? false,
      [selector, className],
      { timeout: timeoutMs },
    );
  } catch {
    const has = await page
      .$eval(selector, (el) => el.getAttribute('class'))
      .catch(() => '(no such element)');
    throw new Error(
      `${selector} did not get class ${className} within ${timeoutMs} ms; it has ${JSON.stringify(has)}`,
    );
  }
}
