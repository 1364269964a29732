import { describe, expect, it } from 'vitest';
import { canInstallChromium, findBrowser } from './chromium.js';

/** A fake file system: the executables there are. */
const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe('findBrowser', () => {
  it('takes CHROME_PATH, then CHROMIUM_PATH, over anything on PATH', () => {
    const exe = only('/opt/chrome', '/opt/chromium', '/bin/chromium');
    const PATH = '/bin';
    expect(findBrowser({ PATH, CHROME_PATH: '/opt/chrome' }, exe)).toEqual({ path: '/opt/chrome' });
    expect(findBrowser({ PATH, CHROMIUM_PATH: '/opt/chromium' }, exe)).toEqual({
      path: '/opt/chromium',
    });
  });

  it('says so when CHROME_PATH is not an executable, rather than using another browser', () => {
    expect(findBrowser({ PATH: '/bin', CHROME_PATH: '/nope' }, only('/bin/chromium'))).toEqual({
      error: 'CHROME_PATH=/nope is not an executable: point it at a Chrome or Chromium binary',
    });
  });

  it('looks on PATH for chromium, chromium-browser and google-chrome, in that order', () => {
    expect(findBrowser({ PATH: '/a:/b' }, only('/b/chromium', '/a/google-chrome'))).toEqual({
      path: '/a/google-chrome',
    });
    expect(findBrowser({ PATH: '/a' }, only('/a/chromium-browser', '/a/google-chrome'))).toEqual({
      path: '/a/chromium-browser',
    });
    expect(findBrowser({ PATH: '/a' }, only('/a/google-chrome-stable'))).toEqual({
      path: '/a/google-chrome-stable',
    });
  });

  it('finds /usr/bin/chromium with no PATH, and nothing where there is nothing', () => {
    expect(findBrowser({}, only('/usr/bin/chromium'))).toEqual({ path: '/usr/bin/chromium' });
    expect(findBrowser({ PATH: '/a:/b' }, only())).toBeUndefined();
  });
});

describe('canInstallChromium', () => {
  const debian = only('/etc/debian_version');
  const aptGet = only('/usr/bin/apt-get');

  it('installs only as root on Debian or Ubuntu with apt-get', () => {
    expect(canInstallChromium({ PATH: '/usr/bin' }, 0, debian, aptGet)).toBe(true);
    expect(canInstallChromium({ PATH: '/usr/bin' }, 1000, debian, aptGet)).toBe(false);
    expect(canInstallChromium({ PATH: '/usr/bin' }, undefined, debian, aptGet)).toBe(false);
    expect(canInstallChromium({ PATH: '/usr/bin' }, 0, only(), aptGet)).toBe(false);
    expect(canInstallChromium({ PATH: '/usr/bin' }, 0, debian, only())).toBe(false);
  });
});
