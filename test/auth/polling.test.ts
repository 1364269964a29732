/**
 * AUTH.md §2 step 3 against oidc-provider: polling the token endpoint until the admin decides,
 * `slow_down`, transient failures, denial, expiry, other errors and the caller's abort.
 */
import { stat } from 'node:fs/promises';
import { enroll } from '@holokai/neuron-sdk/auth';
import { describe, expect, it } from 'vitest';
import { enrollmentWith, failure } from './support/enrollment.js';
import { useIdp } from './support/idp.js';

// One after the other: these tests measure waits, which concurrent tests would stretch.
const idp = useIdp();

const run = enrollmentWith(idp);
const tokenRequests = () => idp.requests.filter((r) => r.path === '/token').length;

describe('enroll polls the token endpoint', () => {
  it('keeps polling while the admin has not decided, every interval', async () => {
    let approve: () => void = () => {};
    const { options, polls } = await run({}, (code) => {
      approve = () => void idp.approve(code);
      return Promise.resolve();
    });
    const done = enroll({
      ...options,
      onPoll: (info) => {
        options.onPoll!(info);
        if (info.attempt === 3) approve();
      },
    });
    await done;
    // Approved as the third request went out: it or the fourth gets the token.
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(polls.every((p) => p.intervalMs === 50)).toBe(true);
    for (let i = 1; i < polls.length; i += 1) {
      expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(45);
    }
  });

  it('adds 5 s (scaled) to the interval on each slow_down and keeps polling', async () => {
    const { options, polls } = await run();
    const slowDown = { path: '/token', status: 400, body: { error: 'slow_down' } };
    idp.faults.push(slowDown, { ...slowDown });
    await enroll(options);
    expect(polls.map((p) => p.intervalMs)).toEqual([50, 100, 150]);
    expect(polls[2]!.at - polls[1]!.at).toBeGreaterThanOrEqual(145);
  });

  it('keeps polling through 409, 429, 5xx, a reset connection and a timeout, honouring Retry-After', async () => {
    const { options, polls } = await run({ timeoutMs: 150 });
    idp.faults.push(
      { path: '/token', status: 503, headers: { 'retry-after': '15' } },
      { path: '/token', status: 409 },
      { path: '/token', status: 429, body: { error: 'too_many_requests' } },
      { path: '/token', status: 500, body: { error: 'server_error' } },
      { path: '/token', action: 'reset' },
      { path: '/token', action: 'hang' },
    );
    await enroll(options);
    expect(idp.faults).toEqual([]); // every failure was answered, and polling went on
    expect(polls.length).toBeGreaterThanOrEqual(7); // a slow machine may time out once more
    // Retry-After: 15 (scaled: 150 ms) outlasts the 50 ms interval.
    expect(polls[1]!.at - polls[0]!.at).toBeGreaterThanOrEqual(145);
    expect(polls.every((p) => p.intervalMs === 50)).toBe(true);
  });

  it('stops with exit code 9 when the admin denies the request', async () => {
    const { options } = await run({}, (code) => idp.deny(code));
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'denied', exitCode: 9, code: 'NEURON_ERR_ENROLLMENT' });
    expect(err.message).toMatch(/denied.*ask an org admin to approve it, then enroll again/);
    await expect(stat(options.credentialsFile!)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops with exit code 10 when the token endpoint says expired_token', async () => {
    const { options } = await run({}, null);
    idp.faults.push({ path: '/token', status: 400, body: { error: 'expired_token' } });
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'expired', exitCode: 10 });
    expect(err.message).toMatch(/expired.*enroll again/);
  });

  it('stops with exit code 10 once expires_in has passed, even while Moku says pending', async () => {
    const { options, polls } = await run({}, null);
    idp.faults.push(
      {
        path: '/device/auth',
        status: 200,
        body: {
          device_code: 'short-lived',
          user_code: 'BCDF-GHJK',
          verification_uri: `${idp.url}/device`,
          expires_in: 0.3,
        },
      },
      { path: '/token', status: 400, body: { error: 'authorization_pending' }, times: 100 },
    );
    const started = performance.now();
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'expired', exitCode: 10 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(polls.length).toBeGreaterThanOrEqual(1);
  });

  it('stops with exit code 11 on any other token endpoint error', async () => {
    const { options } = await run({}, null);
    idp.faults.push({
      path: '/token',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'device code not found' },
    });
    const err = await failure(enroll(options));
    expect(err).toMatchObject({ reason: 'protocol', exitCode: 11 });
    expect(err.message).toContain('HTTP 400 invalid_grant: device code not found');
    expect(err.message).toMatch(/enroll again/);
  });

  it('rejects with the signal’s reason when aborted while polling', async () => {
    const controller = new AbortController();
    const { options } = await run({ signal: controller.signal }, null);
    const reason = new Error('operator pressed Ctrl-C');
    const pending = enroll({
      ...options,
      onPoll: (info) => {
        if (info.attempt === 2) controller.abort(reason);
      },
    });
    await expect(pending).rejects.toBe(reason);
    const polled = tokenRequests();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(tokenRequests()).toBe(polled); // nothing polls after the abort
  });
});
