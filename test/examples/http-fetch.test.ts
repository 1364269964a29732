import { once } from 'node:events';
import { createTestContext } from '@holokai/neuron-sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FetchInput, fetchHandler, httpFetch } from '../../examples/http-fetch/capability.js';
import { createHarness, disposeHarnesses, type Harness } from '../e2e/harness.js';
import { closeServers, refusedUrl, startServer, type TestServer } from './support.js';

let server: TestServer;
/**
 * Resolves when a request to /slow arrives (that request never gets an answer), with a promise
 * of its connection closing.
 */
let slowArrived: Promise<{ closed: Promise<unknown> }>;

beforeEach(async () => {
  let arrived: (request: { closed: Promise<unknown> }) => void = () => {};
  slowArrived = new Promise((resolve) => {
    arrived = resolve;
  });
  server = await startServer((req, res, raw) => {
    if (req.url === '/hello') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-example': 'yes' }).end('hello');
    } else if (req.url === '/echo') {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ method: req.method, header: req.headers['x-token'], body: req.body }),
      );
    } else if (req.url === '/big') {
      res.end('x'.repeat(100_000));
    } else if (req.url === '/missing') {
      res.writeHead(404).end('no such page');
    } else if (req.url === '/slow') {
      arrived({ closed: once(raw.socket, 'close') });
    }
  });
});
afterEach(async () => {
  await disposeHarnesses();
  await closeServers();
});

const input = (fields: Partial<FetchInput> & { url: string }): FetchInput => ({
  method: 'GET',
  headers: {},
  timeoutMs: 5_000,
  maxBytes: 1_000_000,
  ...fields,
});

async function serve(): Promise<Harness> {
  const h = await createHarness({ gateway: { maxAttempts: 1 } });
  h.neuron.handle(httpFetch, fetchHandler);
  await h.start();
  return h;
}

async function run(h: Harness, taskInput: unknown) {
  const task = h.gw.submitTask({ capabilityType: 'examples/http-fetch', input: taskInput });
  return (await h.gw.waitForTask(task.taskId)).outcome;
}

describe('examples/http-fetch through the reference gateway', () => {
  it('acks the status, headers and body of a GET', async () => {
    const h = await serve();
    const outcome = await run(h, { url: `${server.url}/hello` });
    expect(outcome).toMatchObject({
      type: 'ack',
      output: {
        status: 200,
        statusText: 'OK',
        url: `${server.url}/hello`,
        headers: { 'x-example': 'yes', 'content-type': 'text/plain' },
        body: 'hello',
        truncated: false,
      },
    });
    await h.stop();
  });

  it('sends the method, headers and body it is given, and acks a 404 as an answer', async () => {
    const h = await serve();
    const posted = await run(h, {
      url: `${server.url}/echo`,
      method: 'POST',
      headers: { 'x-token': 'abc' },
      body: 'payload',
    });
    expect(posted).toMatchObject({ type: 'ack', output: { status: 201 } });
    expect(JSON.parse((posted as { output: { body: string } }).output.body)).toEqual({
      method: 'POST',
      header: 'abc',
      body: 'payload',
    });
    const missing = await run(h, { url: `${server.url}/missing` });
    expect(missing).toMatchObject({ type: 'ack', output: { status: 404, body: 'no such page' } });
    await h.stop();
  });

  it('cuts the body at maxBytes', async () => {
    const h = await serve();
    const outcome = await run(h, { url: `${server.url}/big`, maxBytes: 10 });
    expect(outcome).toMatchObject({ type: 'ack', output: { body: 'xxxxxxxxxx', truncated: true } });
    await h.stop();
  });

  it('nacks retryable when the server does not answer within timeoutMs', async () => {
    const h = await serve();
    const outcome = await run(h, { url: `${server.url}/slow`, timeoutMs: 100 });
    expect(outcome).toEqual({
      type: 'nack',
      kind: 'retryable',
      reason: expect.stringMatching(/did not answer within 100 ms$/),
    });
    await h.stop();
  });

  it('nacks retryable on a network error (connection refused)', async () => {
    const h = await serve();
    const outcome = await run(h, { url: `${await refusedUrl()}/x` });
    expect(outcome).toEqual({
      type: 'nack',
      kind: 'retryable',
      reason: expect.stringContaining('ECONNREFUSED'),
    });
    await h.stop();
  });

  it('nacks terminal with a code for input that can never work', async () => {
    const h = await serve();
    expect(await run(h, { url: 'ftp://files.example.com/a.txt' })).toMatchObject({
      type: 'nack',
      kind: 'terminal',
      code: 'UNSUPPORTED_PROTOCOL',
    });
    expect(await run(h, { url: `${server.url}/hello`, body: 'no body on a GET' })).toMatchObject({
      type: 'nack',
      kind: 'terminal',
      code: 'INVALID_REQUEST',
    });
    await h.stop();
  });

  it('nacks schema-mismatch for input the schema refuses, without calling the handler', async () => {
    const h = await serve();
    for (const bad of [
      { url: 'not a url' },
      { method: 'GET' },
      { url: server.url, method: 'BREW' },
    ]) {
      expect(await run(h, bad)).toMatchObject({
        type: 'nack',
        kind: 'schema-mismatch',
        details: { phase: 'input' },
      });
    }
    expect(server.requests).toEqual([]);
    await h.stop();
  });

  it('aborts the request at once when the task is cancelled', async () => {
    const h = await serve();
    const task = h.gw.submitTask({
      capabilityType: 'examples/http-fetch',
      input: { url: `${server.url}/slow`, timeoutMs: 60_000 },
    });
    const { closed } = await slowArrived;
    const cancelledAt = Date.now();
    h.gw.cancelTask(task.taskId);
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('cancelled');
    expect(done.outcome).toMatchObject({ type: 'nack', kind: 'cancelled' });
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    await closed; // the request's connection was torn down, not left hanging
    await h.stop();
  });
});

describe('examples/http-fetch handler in a unit test', () => {
  it('returns the response', async () => {
    const t = createTestContext();
    await expect(fetchHandler(input({ url: `${server.url}/hello` }), t.ctx)).resolves.toMatchObject(
      { status: 200, body: 'hello' },
    );
    expect(t.logs).toMatchObject([{ level: 'info', msg: 'fetching' }]);
  });

  it('records ctx.fail for a file: URL', async () => {
    const t = createTestContext();
    await expect(fetchHandler(input({ url: 'file:///etc/passwd' }), t.ctx)).rejects.toThrow();
    expect(t.failure).toEqual({
      reason: 'only http and https URLs can be fetched, not file:',
      code: 'UNSUPPORTED_PROTOCOL',
    });
  });

  it('rejects with the lease abort reason when the signal fires mid-request', async () => {
    const t = createTestContext();
    const pending = fetchHandler(input({ url: `${server.url}/slow` }), t.ctx);
    await slowArrived;
    t.abort('shutdown');
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', reason: 'shutdown' });
    expect(t.failure).toBeUndefined();
  });
});
