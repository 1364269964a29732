import { readFileSync } from 'node:fs';
import { createTestContext } from '@holokai/neuron-sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSearchHandler,
  DEFAULT_SEARCH_URL,
  webSearch,
} from '../../examples/web-search/capability.js';
import { isChallengePage, parseResults } from '../../examples/web-search/parse.js';
import { createHarness, disposeHarnesses, type Harness } from '../e2e/harness.js';
import { closeServers, refusedUrl, startServer, type TestServer } from './support.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const RESULTS_PAGE = fixture('duckduckgo-results.html');
const CHALLENGE_PAGE = fixture('duckduckgo-challenge.html');

const EXPECTED = [
  {
    title: 'XState | Stately',
    url: 'https://stately.ai/docs/xstate',
    snippet: expect.stringMatching(/^XState is a state management .* visual ways\.$/),
  },
  {
    title:
      'GitHub - statelyai/xstate: Actor-based state management & orchestration for complex app logic.',
    url: 'https://github.com/statelyai/xstate?tab=readme-ov-file&lang=en',
    snippet: expect.stringContaining(
      'complex app logic. → Documentation — XState is a state management',
    ),
  },
  {
    title: 'Finite-state machine - Wikipedia',
    url: 'https://en.wikipedia.org/wiki/Finite-state_machine',
    snippet: expect.stringMatching(/^A finite-state machine \(FSM\) or/),
  },
  { title: 'xstate - npm', url: 'https://www.npmjs.com/package/xstate', snippet: '' },
];

describe('examples/web-search parser', () => {
  it('parses titles, unwrapped URLs and snippets of a saved results page, skipping the ad', () => {
    expect(parseResults(RESULTS_PAGE)).toEqual(EXPECTED);
    expect(parseResults(RESULTS_PAGE)[1]?.snippet).toContain(`It's "zero-dependency"`);
    expect(isChallengePage(RESULTS_PAGE)).toBe(false);
  });

  it('stops at the limit', () => {
    expect(parseResults(RESULTS_PAGE, 2).map((r) => r.title)).toEqual([
      EXPECTED[0]?.title,
      EXPECTED[1]?.title,
    ]);
  });

  it('finds nothing in a page without results, and recognises a bot check', () => {
    expect(
      parseResults('<html><body><div class="no-results">No results.</div></body></html>'),
    ).toEqual([]);
    expect(parseResults('')).toEqual([]);
    expect(parseResults(CHALLENGE_PAGE)).toEqual([]);
    expect(isChallengePage(CHALLENGE_PAGE)).toBe(true);
  });

  it('drops links that are not http(s) and titles that are empty', () => {
    const html = `
      <a class="result__a" href="javascript:alert(1)">Bad</a><a class="result__snippet">x</a>
      <a class="result__a" href="//duckduckgo.com/l/?uddg=mailto%3Aa%40b.c">Mail</a>
      <a class="result__a" href="https://ok.example/"> </a>
      <A CLASS="result__a extra" HREF="https://ok.example/page">Upper <B>case</B></A>
      <div class="result__snippet">Snippet &amp; more&hellip;</div>`;
    expect(parseResults(html)).toEqual([
      { title: 'Upper case', url: 'https://ok.example/page', snippet: 'Snippet & more…' },
    ]);
  });
});

describe('examples/web-search through the reference gateway, against a local fixture server', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer((req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/html/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' }).end(RESULTS_PAGE);
      } else if (path === '/challenge/') {
        res.writeHead(202, { 'content-type': 'text/html' }).end(CHALLENGE_PAGE);
      } else {
        res.writeHead(503, 'Service Unavailable').end('<html>busy</html>');
      }
    });
  });
  afterEach(async () => {
    await disposeHarnesses();
    await closeServers();
  });

  async function serve(baseUrl: string): Promise<Harness> {
    const h = await createHarness({ gateway: { maxAttempts: 1 } });
    h.neuron.handle(webSearch, createSearchHandler({ baseUrl, timeoutMs: 2_000 }));
    await h.start();
    return h;
  }

  async function search(h: Harness, input: unknown) {
    const task = h.gw.submitTask({ capabilityType: 'examples/web-search', input });
    return (await h.gw.waitForTask(task.taskId)).outcome;
  }

  it('acks the parsed results, up to the limit', async () => {
    const h = await serve(`${server.url}/html/`);
    expect(await search(h, { query: '  xstate state machines ' })).toMatchObject({
      type: 'ack',
      output: { query: 'xstate state machines', results: EXPECTED },
    });
    expect(server.requests[0]?.url).toBe('/html/?q=xstate+state+machines');
    const limited = await search(h, { query: 'xstate', limit: 1 });
    expect(limited).toMatchObject({ type: 'ack', output: { results: [EXPECTED[0]] } });
    await h.stop();
  });

  it('nacks terminal UPSTREAM_NON_2XX on a 5xx answer', async () => {
    const h = await serve(`${server.url}/down/`);
    expect(await search(h, { query: 'xstate' })).toEqual({
      type: 'nack',
      kind: 'terminal',
      reason: `${server.url.slice('http://'.length)} answered 503 Service Unavailable`,
      code: 'UPSTREAM_NON_2XX',
    });
    await h.stop();
  });

  it('nacks terminal UPSTREAM_BLOCKED on a bot check page', async () => {
    const h = await serve(`${server.url}/challenge/`);
    expect(await search(h, { query: 'xstate' })).toMatchObject({
      type: 'nack',
      kind: 'terminal',
      code: 'UPSTREAM_BLOCKED',
    });
    await h.stop();
  });

  it('nacks retryable on a network error', async () => {
    const h = await serve(`${await refusedUrl()}/html/`);
    expect(await search(h, { query: 'xstate' })).toEqual({
      type: 'nack',
      kind: 'retryable',
      reason: expect.stringContaining('ECONNREFUSED'),
    });
    await h.stop();
  });

  it('nacks schema-mismatch for a blank query, without a request', async () => {
    const h = await serve(`${server.url}/html/`);
    expect(await search(h, { query: '   ' })).toMatchObject({
      type: 'nack',
      kind: 'schema-mismatch',
      details: { phase: 'input' },
    });
    expect(server.requests).toEqual([]);
    await h.stop();
  });

  it('records ctx.fail in a unit test with createTestContext', async () => {
    const t = createTestContext();
    const handler = createSearchHandler({ baseUrl: `${server.url}/down/` });
    await expect(handler({ query: 'x', limit: 5 }, t.ctx)).rejects.toThrow();
    expect(t.failure?.code).toBe('UPSTREAM_NON_2XX');
  });
});

describe.skipIf(process.env.E2E_NETWORK !== '1')('examples/web-search on the real network', () => {
  it('gets results from DuckDuckGo (E2E_NETWORK=1)', async () => {
    const t = createTestContext();
    const handler = createSearchHandler({ baseUrl: DEFAULT_SEARCH_URL });
    const output = await handler({ query: 'xstate state machines', limit: 5 }, t.ctx);
    expect(output.results.length).toBeGreaterThan(0);
    for (const result of output.results) {
      expect(result.url).toMatch(/^https?:\/\//);
      expect(result.title).not.toBe('');
    }
  });
});
