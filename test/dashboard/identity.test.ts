import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { describe, expect, it } from 'vitest';
import { connect, echo, requestJson } from '../dev-gateway/sse-client.js';
import { authorizeDevice, mint, pollDeviceCode } from '../identity/oauth.js';
import { waitForClass, waitForText } from './browser.js';
import { cleanup, openDashboard, screenshot, useBrowser } from './harness.js';

const { browser } = useBrowser();

/** The dashboard at `path` (after the gateway's URL), at the width its panels are drawn for. */
const open = (gw: DevGateway, path: string) =>
  openDashboard(browser(), gw, { path: path.replace(/^\//, ''), width: 1440 });

async function identityGateway(): Promise<DevGateway> {
  const gw = await createDevGateway({ identity: true });
  cleanup(() => gw.close());
  return gw;
}

/** Registers a client with the device flow's token, the way `neuron enroll` does. */
async function registerWith(gw: DevGateway, deviceCode: string) {
  const polled = await pollDeviceCode(gw, deviceCode);
  expect(polled.status).toBe(200);
  const { access_token } = polled.json as { access_token: string };
  const answer = await requestJson('POST', `${gw.url}/moku/register`, '{}', {
    Authorization: `Bearer ${access_token}`,
    'Content-Type': 'application/json',
  });
  const { client_id, client_secret } = answer.json as Record<string, string>;
  return { clientId: client_id!, clientSecret: client_secret! };
}

const pendingRow = (code: string) => `#device-codes tr[data-user-code="${code}"]`;
const clientRow = (id: string) => `#clients tr[data-client-id="${id}"]`;

describe("the dashboard's Identity panel", () => {
  it('approves a waiting enrollment with a click, then shows the client live and revokes it', async () => {
    const gw = await identityGateway();
    const device = await authorizeDevice(gw, {
      name: 'warehouse-connector',
      capabilities: ['org/acme/erp.read', 'org/acme/erp.write'],
    });
    // The device flow's verification_uri_complete: the panel first, the code filled in.
    const { page, seen, errors } = await open(
      gw,
      new URL(device.verification_uri_complete).pathname +
        new URL(device.verification_uri_complete).search,
    );
    await waitForText(page, '#issuer', new RegExp(`^${gw.url}/moku$`));
    await waitForText(
      page,
      pendingRow(device.user_code),
      /warehouse-connector.*org\/acme\/erp\.read, org\/acme\/erp\.write/,
    );
    await waitForClass(page, pendingRow(device.user_code), 'wanted');
    expect(await page.inputValue('#user-code')).toBe(device.user_code);
    await screenshot(page, 'identity-pending');

    await page.click(`button[data-approve="${device.user_code}"]`);
    await waitForText(
      page,
      '#identity-result',
      new RegExp(`^Approved ${device.user_code} \\(warehouse-connector\\)\\.$`),
    );
    await waitForText(page, '#device-codes tbody', /^$/);

    const credential = await registerWith(gw, device.device_code);
    await waitForText(page, clientRow(credential.clientId), /warehouse-connector.*enrolled/);
    const { stream } = await connect(gw.url, 'erp-1', [echo], {
      token: await mint(gw, credential),
    });
    cleanup(() => stream.close());
    await waitForText(page, `${clientRow(credential.clientId)} .neurons`, /^erp-1$/);
    await screenshot(page, 'identity');

    await page.click(`button[data-revoke="${credential.clientId}"]`);
    await waitForText(
      page,
      '#identity-result',
      new RegExp(`^Revoked ${credential.clientId}; closed the streams of erp-1\\.$`),
    );
    await waitForText(page, `${clientRow(credential.clientId)} .state`, /^revoked /);
    expect((await stream.next('disconnect')).frame.type).toBe('disconnect');
    await screenshot(page, 'identity-revoked');

    const origin = new URL(gw.url).origin;
    expect(seen.filter((url) => !url.startsWith(origin))).toEqual([]);
    expect(errors).toEqual([]);
  }, 30_000);

  it('denies a code typed by hand, and says so when the code is unknown', async () => {
    const gw = await identityGateway();
    const { page, errors } = await open(gw, '/device');
    const device = await authorizeDevice(gw, { name: 'typed' });
    await waitForText(page, pendingRow(device.user_code), /typed/);
    await page.fill('#user-code', device.user_code.toLowerCase());
    await page.click('#deny-code');
    await waitForText(
      page,
      '#identity-result',
      new RegExp(`^Denied ${device.user_code} \\(typed\\)\\.$`),
    );
    expect((await pollDeviceCode(gw, device.device_code)).json).toEqual({ error: 'access_denied' });

    await page.fill('#user-code', 'BBBB-CCCC');
    await page.click('#approve-code');
    await waitForText(page, '#identity-result', /^no pending user code BBBB-CCCC/);
    await waitForClass(page, '#identity-result', 'bad');
    // The browser logs the refused approval (404 USER_CODE_NOT_FOUND); nothing else went wrong.
    expect(errors).toEqual([
      'Failed to load resource: the server responded with a status of 404 (Not Found)',
    ]);
  }, 30_000);

  it('stays hidden on a gateway without an identity provider', async () => {
    const gw = await createDevGateway();
    cleanup(() => gw.close());
    const { page, errors } = await open(gw, '/');
    await page.waitForTimeout(100);
    expect(
      await page.$eval('#identity-panel', (el) => (el as unknown as { hidden: boolean }).hidden),
    ).toBe(true);
    expect(errors).toEqual([]);
  }, 30_000);
});
