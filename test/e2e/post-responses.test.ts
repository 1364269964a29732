/**
 * PROTOCOL.md's "POST responses" table, row by row: the real neuron against the reference
 * gateway, whose `requests` log is the wire record.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { RequestRecord } from '@holokai/neuron-sdk/dev-gateway';
import { createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHarness,
  disposeHarnesses,
  eventsNamed,
  type Harness,
  leaseFrame,
  rotatingAuth,
} from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 4 } as const;

/** A logger that records every line, for asserting the warnings the table asks for. */
function captureLogger() {
  const logger = createRecordingLogger();
  return { logger, warnings: () => logger.logs.filter((l) => l.level === 'warn') };
}

/** The settlement the neuron reports for one lease. */
async function settledLease(h: Harness, leaseId: string) {
  await expect
    .poll(() => eventsNamed(h.events, 'lease:settled').find(([i]) => i.leaseId === leaseId), {
      timeout: 5_000,
    })
    .toBeDefined();
  return eventsNamed(h.events, 'lease:settled').find(([i]) => i.leaseId === leaseId)![0];
}

/** Milliseconds between consecutive requests. */
function gaps(requests: RequestRecord[]): number[] {
  return requests.slice(1).map((r, i) => r.at - requests[i]!.at);
}

/** Submits one task and waits for the gateway to lease it; resolves with its leaseId. */
async function leaseOne(h: Harness, input: unknown = 1, leaseTtlMs?: number): Promise<string> {
  const leased = h.gw.waitFor('lease');
  h.gw.submitTask({ capabilityType: 'acme/echo', input, ...(leaseTtlMs ? { leaseTtlMs } : {}) });
  return (await leased).leaseId;
}

/**
 * A TCP relay in front of the gateway that can cut the connection carrying a request whose
 * request line starts with `cutLine`: a real network error, as the neuron's HTTP client sees it.
 */
async function createRelay(): Promise<{
  url: string;
  target: { port: number };
  cut(requestLine: string, times: number): void;
  cuts: () => number;
  close(): Promise<void>;
}> {
  const target = { port: 0 };
  let cutLine: string | undefined;
  let cutsLeft = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.on('data', (chunk: Buffer) => {
      if (cutLine && cutsLeft > 0 && chunk.toString('latin1').startsWith(cutLine)) {
        cutsLeft--;
        cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    target,
    cut(requestLine, times) {
      cutLine = requestLine;
      cutsLeft = times;
    },
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('POST responses (PROTOCOL.md table)', () => {
  describe('2xx', () => {
    it('takes a 2xx answer as delivered: one ack POST, and the lease settles delivered', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      await h.start();
      const leaseId = await leaseOne(h);
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      expect(h.gw.requestsTo('ack').map((r) => r.status)).toEqual([200]);
      expect(h.gw.requestsTo('register').map((r) => r.status)).toEqual([202]);
      await expect.poll(() => h.gw.requestsTo('heartbeat').length).toBeGreaterThan(0);
      expect(h.gw.requestsTo('heartbeat').every((r) => r.status === 200)).toBe(true);
      expect(h.errors).toEqual([]);
      await h.stop();
    });
  });

  describe('400 INVALID_FRAME', () => {
    it('reports a 400 on an ack as an error event and never retries it', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('ack', { status: 400, message: 'output is not an object' });
      const leaseId = await leaseOne(h);
      const settled = await settledLease(h, leaseId);
      expect(settled.settlement).toBe('rejected');
      expect(h.gw.requestsTo('ack').map((r) => r.status)).toEqual([400]);
      expect(h.errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/400.*INVALID_FRAME output is not an object/),
      ]);
      await h.stop();
      expect(h.gw.requestsTo('ack')).toHaveLength(1);
    });

    it('reports a 400 on a nack as an error event and never retries it', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, () => {
        throw new Error('boom');
      });
      await h.start();
      h.gw.failNext('nack', { status: 400 });
      const leaseId = await leaseOne(h);
      expect((await settledLease(h, leaseId)).settlement).toBe('rejected');
      expect(h.gw.requestsTo('nack').map((r) => r.status)).toEqual([400]);
      expect(h.errors).toEqual([
        expect.objectContaining({ status: 400, gatewayCode: 'INVALID_FRAME', path: 'nack' }),
      ]);
      await h.stop();
      expect(h.gw.requestsTo('nack')).toHaveLength(1);
    });

    it('reports a 400 on a heartbeat as an error event and goes on beating', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('heartbeat', { status: 400 });
      await expect.poll(() => h.gw.requestsTo('heartbeat').length).toBeGreaterThanOrEqual(3);
      expect(h.gw.requestsTo('heartbeat').map((r) => r.status)).toEqual(
        expect.arrayContaining([400, 200]),
      );
      expect(h.errors).toEqual([
        expect.objectContaining({ status: 400, gatewayCode: 'INVALID_FRAME', path: 'heartbeat' }),
      ]);
      expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([]);
      await h.stop();
    });

    it('reports a 400 on a progress frame as an error event and drops that frame', async () => {
      const h = await createHarness();
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      h.neuron.handle(echo, async (_input, ctx) => {
        ctx.progress({ percent: 10 });
        await released;
        return 'done';
      });
      await h.start();
      h.gw.failNext('progress', { status: 400 });
      const leaseId = await leaseOne(h);
      await expect.poll(() => h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatchObject({ status: 400, path: 'progress' });
      release();
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      expect(h.gw.requestsTo('progress').map((r) => r.status)).toEqual([400]);
      await h.stop();
    });
  });

  describe('401', () => {
    it('calls auth again and retries a POST once at once after a 401', async () => {
      const h = await createHarness({
        ...rotatingAuth(),
        neuron: { heartbeatIntervalMs: 60_000 },
      });
      h.neuron.handle(echo, (input) => input);
      await h.start();
      const authBefore = h.authCalls();
      h.gw.failNext('ack', { status: 401 });
      const leaseId = await leaseOne(h);
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      const acks = h.gw.requestsTo('ack');
      expect(acks.map((r) => r.status)).toEqual([401, 200]);
      expect(h.authCalls() - authBefore).toBe(2);
      expect(acks[1]!.headers.authorization).not.toBe(acks[0]!.headers.authorization);
      expect(acks[1]!.body).toEqual(acks[0]!.body);
      expect(gaps(acks)[0]).toBeLessThan(250);
      expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([]);
      expect(h.errors).toEqual([]);
      await h.stop();
    });

    it('escalates a second consecutive 401 on an ack: backoff, a fresh auth on the re-open, then the ack is delivered', async () => {
      const h = await createHarness({ ...rotatingAuth(), neuron: { heartbeatIntervalMs: 60_000 } });
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('ack', { status: 401, times: 2 });
      const reopened = h.gw.waitFor('stream:open');
      const leaseId = await leaseOne(h);
      await reopened;
      expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([
        [expect.objectContaining({ reason: expect.stringMatching(/401/) })],
      ]);
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      const acks = h.gw.requestsTo('ack');
      expect(acks.map((r) => r.status)).toEqual([401, 401, 200]);
      const opens = h.gw.requestsTo('events');
      expect(opens).toHaveLength(2);
      const tokensBefore = h.gw.requests
        .filter((r) => r.at <= acks[1]!.at)
        .map((r) => r.headers.authorization);
      expect(tokensBefore).not.toContain(opens[1]!.headers.authorization);
      expect(opens[1]!.at).toBeGreaterThanOrEqual(acks[1]!.at);
      await h.stop();
    });

    it('escalates a second consecutive 401 on a heartbeat to a reconnect', async () => {
      const h = await createHarness(rotatingAuth());
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('heartbeat', { status: 401, times: 2 });
      await h.gw.waitFor('registered');
      expect(h.gw.requestsTo('heartbeat').map((r) => r.status)).toEqual([401, 401]);
      expect(h.gw.requestsTo('events')).toHaveLength(2);
      expect(eventsNamed(h.events, 'connection:reconnecting')[0]?.[0].reason).toMatch(/401/);
      await expect.poll(() => h.gw.requestsTo('heartbeat').at(-1)?.status).toBe(200);
      await h.stop();
    });
  });

  describe('403 on register', () => {
    it('reports "registration rejected by gateway: <code> <message>", keeps the stream open and gets no leases', async () => {
      const h = await createHarness();
      let calls = 0;
      h.neuron.handle(echo, () => {
        calls++;
        return 'ran';
      });
      h.gw.failNext('register', {
        status: 403,
        code: 'CAPABILITY_PENDING_APPROVAL',
        message: 'acme/echo awaits approval',
      });
      await h.neuron.start();
      await expect.poll(() => h.errors).toHaveLength(1);
      expect(h.errors[0]!.message).toBe(
        'registration rejected by gateway: CAPABILITY_PENDING_APPROVAL acme/echo awaits approval',
      );
      const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
      // Long enough for a reconnect (≤ 200 ms here) or a heartbeat (200 ms) to show.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(h.gw.neurons()).toEqual([expect.objectContaining({ streamOpen: true })]);
      expect(h.gw.requestsTo('events')).toHaveLength(1);
      expect(h.gw.requestsTo('register')).toHaveLength(1);
      expect(h.gw.requestsTo('heartbeat')).toHaveLength(0);
      expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([]);
      expect(h.gw.task(task.taskId)?.state).toBe('pending');
      // A lease pushed anyway is refused, not run: the neuron holds none for the capability.
      h.gw.sendFrame('neuron-1', leaseFrame('l-pushed'));
      await expect
        .poll(() => h.gw.requestsTo('nack').map((r) => r.body))
        .toEqual([
          expect.objectContaining({
            leaseId: 'l-pushed',
            kind: 'retryable',
            code: 'UNKNOWN_CAPABILITY',
          }),
        ]);
      expect(calls).toBe(0);
      await h.stop();
    });
  });

  describe('404 NO_SESSION on heartbeat', () => {
    it('posts register again on the same stream and beats with the new session', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      await h.start();
      const first = h.gw.neurons()[0]!.sessionId;
      h.gw.failNext('heartbeat', { status: 404 });
      const again = await h.gw.waitFor('registered');
      expect(again.sessionId).not.toBe(first);
      expect(h.gw.requestsTo('heartbeat').map((r) => r.status)).toEqual([404]);
      expect(h.gw.requestsTo('register')).toHaveLength(2);
      expect(h.gw.requestsTo('events')).toHaveLength(1);
      await expect
        .poll(() => h.gw.requestsTo('heartbeat').at(-1)?.body)
        .toMatchObject({ sessionId: again.sessionId });
      expect(h.gw.requestsTo('heartbeat').at(-1)?.status).toBe(200);
      expect(eventsNamed(h.events, 'connection:registered').map(([r]) => r.sessionId)).toEqual([
        first,
        again.sessionId,
      ]);
      await h.stop();
    });
  });

  describe('409 NO_STREAM on register', () => {
    it('reconnects: a new SSE open, then register succeeds', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      h.gw.failNext('register', { status: 409 });
      await h.start();
      expect(h.gw.requestsTo('register').map((r) => r.status)).toEqual([409, 202]);
      const opens = h.gw.requestsTo('events');
      expect(opens).toHaveLength(2);
      const [failed] = h.gw.requestsTo('register');
      expect(opens[1]!.at).toBeGreaterThanOrEqual(failed!.at);
      expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([
        [expect.objectContaining({ attempt: 1, reason: expect.stringMatching(/NO_STREAM/) })],
      ]);
      await h.stop();
    });
  });

  describe('409 / 410 LEASE_NOT_HELD', () => {
    for (const [path, status] of [
      ['ack', 409],
      ['ack', 410],
      ['nack', 409],
      ['nack', 410],
    ] as const) {
      it(`drops ${path === 'ack' ? 'an' : 'a'} ${path} answered ${status} with a warning and never retries it`, async () => {
        const log = captureLogger();
        const h = await createHarness({ neuron: { logger: log.logger } });
        h.neuron.handle(echo, (input) => {
          if (input === 'fail') throw new Error('boom');
          return input;
        });
        await h.start();
        h.gw.failNext(path, { status });
        const leaseId = await leaseOne(h, path === 'ack' ? 'ok' : 'fail');
        expect((await settledLease(h, leaseId)).settlement).toBe('not-held');
        expect(h.gw.requestsTo(path).map((r) => r.status)).toEqual([status]);
        expect(log.warnings()).toEqual([
          expect.objectContaining({
            meta: expect.objectContaining({ leaseId }),
            msg: expect.stringMatching(new RegExp(`${path} POST rejected`)),
          }),
        ]);
        expect(h.errors).toEqual([]);
        await h.stop();
        expect(h.gw.requestsTo(path)).toHaveLength(1);
      });
    }

    for (const status of [409, 410] as const) {
      it(`drops a progress frame answered ${status} with a warning and never retries it`, async () => {
        const log = captureLogger();
        const h = await createHarness({ neuron: { logger: log.logger } });
        let release: () => void = () => {};
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        h.neuron.handle(echo, async (_input, ctx) => {
          ctx.progress({ percent: 50, message: 'halfway' });
          await released;
          return 'done';
        });
        await h.start();
        h.gw.failNext('progress', { status });
        const leaseId = await leaseOne(h);
        await expect.poll(() => log.warnings()).toHaveLength(1);
        expect(log.warnings()[0]).toMatchObject({
          meta: expect.objectContaining({ leaseId }),
          msg: expect.stringMatching(/progress/),
        });
        release();
        expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
        expect(h.gw.requestsTo('progress').map((r) => r.status)).toEqual([status]);
        expect(h.errors).toEqual([]);
        await h.stop();
      });
    }
  });

  describe('429 / 5xx / network error', () => {
    it('retries an ack answered 429 after the Retry-After it names, until delivered', async () => {
      const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('ack', { status: 429, retryAfter: '1' });
      const leaseId = await leaseOne(h);
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      const acks = h.gw.requestsTo('ack');
      expect(acks.map((r) => r.status)).toEqual([429, 200]);
      // Retry-After: 1 → one second, not the 500 ms the backoff would have waited.
      expect(gaps(acks)[0]).toBeGreaterThanOrEqual(950);
      expect(gaps(acks)[0]).toBeLessThan(1_500);
      expect(acks[1]!.body).toEqual(acks[0]!.body);
      await h.stop();
    });

    it('retries a nack answered 5xx with a doubling backoff, until delivered', async () => {
      const h = await createHarness({
        gateway: { maxAttempts: 1 },
        neuron: { heartbeatIntervalMs: 60_000 },
      });
      h.neuron.handle(echo, () => {
        throw new Error('boom');
      });
      await h.start();
      h.gw.failNext('nack', { status: 503, times: 1 });
      h.gw.failNext('nack', { status: 500, times: 1 });
      const leaseId = await leaseOne(h);
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      const nacks = h.gw.requestsTo('nack');
      expect(nacks.map((r) => r.status)).toEqual([503, 500, 200]);
      const [first, second] = gaps(nacks);
      expect(first).toBeGreaterThanOrEqual(450);
      expect(first).toBeLessThan(900);
      expect(second).toBeGreaterThanOrEqual(950);
      expect(second).toBeLessThan(1_500);
      expect(new Set(nacks.map((r) => JSON.stringify(r.body))).size).toBe(1);
      // Retries of one outcome: the gateway took one nack for its one delivery.
      expect(h.gw.tasks()[0]).toMatchObject({ attempts: 1, state: 'failed' });
      await h.stop();
    });

    for (const path of ['ack', 'nack'] as const) {
      it(`retries a${path === 'ack' ? 'n' : ''} ${path} whose connection broke (network error), until delivered`, async () => {
        const relay = await createRelay();
        try {
          const h = await createHarness({
            gateway: { maxAttempts: 1 },
            neuron: { gatewayUrl: relay.url, heartbeatIntervalMs: 60_000 },
          });
          relay.target.port = Number(new URL(h.gw.url).port);
          h.neuron.handle(echo, (input) => {
            if (input === 'fail') throw new Error('boom');
            return input;
          });
          await h.start();
          relay.cut(`POST /neuron/${path} `, 1);
          const leaseId = await leaseOne(h, path === 'ack' ? 'ok' : 'fail');
          expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
          expect(relay.cuts()).toBe(1);
          // The cut request never reached the gateway: one answered POST, after the backoff.
          const posts = h.gw
            .requestsTo(path)
            .filter((r) => (r.body as { leaseId: string }).leaseId === leaseId);
          expect(posts.map((r) => r.status)).toEqual([200]);
          const leased = h.gw.tasks()[0]!.history[0]!;
          expect(posts[0]!.at - leased.leasedAt).toBeGreaterThanOrEqual(450);
          await h.stop();
        } finally {
          await relay.close();
        }
      });
    }

    it("gives up retrying an ack once the lease's expiresAt has passed", async () => {
      const log = captureLogger();
      const h = await createHarness({
        neuron: { heartbeatIntervalMs: 60_000, logger: log.logger },
      });
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('ack', { status: 503, times: 100 });
      // No heartbeat renews it: the lease ends 1.2 s after it is issued.
      const leaseId = await leaseOne(h, 1, 1_200);
      const settled = await settledLease(h, leaseId);
      expect(settled.settlement).toBe('expired');
      const acks = h.gw.requestsTo('ack');
      expect(acks.map((r) => r.status)).toEqual([503, 503]);
      const lease = h.gw.tasks()[0]!.history[0]!;
      // The next retry (1 s after the second attempt) would land past expiresAt.
      expect(acks[1]!.at + 1_000).toBeGreaterThan(lease.leasedAt + lease.ttlMs);
      expect(log.warnings()).toEqual([
        expect.objectContaining({ meta: expect.objectContaining({ leaseId }) }),
      ]);
      await h.gw.waitForTask(h.gw.tasks()[0]!.taskId, (t) => t.history[0]?.end === 'expired');
      expect(h.gw.requestsTo('ack')).toHaveLength(2);
      await h.stop();
    });

    it('tries a failed heartbeat again on the next tick, and heartbeats go on', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, (input) => input);
      await h.start();
      h.gw.failNext('heartbeat', { status: 503, times: 1 });
      h.gw.failNext('heartbeat', { status: 429, retryAfter: '30', times: 1 });
      await expect.poll(() => h.gw.requestsTo('heartbeat').length).toBeGreaterThanOrEqual(4);
      const beats = h.gw.requestsTo('heartbeat');
      expect(beats.map((r) => r.status).slice(0, 4)).toEqual([503, 429, 200, 200]);
      // Each on its own tick (200 ms here): no immediate retry, and no 30 s wait either.
      for (const gap of gaps(beats.slice(0, 4))) {
        expect(gap).toBeGreaterThanOrEqual(150);
        expect(gap).toBeLessThan(1_000);
      }
      expect(h.gw.requestsTo('register')).toHaveLength(1);
      expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([]);
      expect(h.errors).toEqual([]);
      await h.stop();
    });

    it('drops a progress frame answered 5xx or 429 without retrying it', async () => {
      const h = await createHarness();
      h.neuron.handle(echo, async (_input, ctx) => {
        for (const percent of [25, 50, 75]) {
          const sent = h.gw.waitFor('request', (r) => r.path === 'progress');
          ctx.progress({ percent });
          await sent;
        }
        return 'done';
      });
      await h.start();
      h.gw.failNext('progress', { status: 503 });
      h.gw.failNext('progress', { status: 429, retryAfter: '1' });
      const leaseId = await leaseOne(h);
      expect((await settledLease(h, leaseId)).settlement).toBe('delivered');
      const progress = h.gw.requestsTo('progress');
      expect(progress.map((r) => r.status)).toEqual([503, 429, 202]);
      expect(progress.map((r) => (r.body as { percent: number }).percent)).toEqual([25, 50, 75]);
      expect(h.gw.task(h.gw.tasks()[0]!.taskId)?.progress).toMatchObject({
        count: 1,
        last: { percent: 75 },
      });
      expect(h.errors).toEqual([]);
      await h.stop();
    });
  });
});
