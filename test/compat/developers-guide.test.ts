/** Runs the Developer's Guide's examples (`reference/developers-guide.ts`) against the reference gateway. */
import { type Handler, Neuron } from '@holokai/neuron-sdk';
import { createTestContext } from '@holokai/neuron-sdk/testing';
import { describe, expect, it, vi } from 'vitest';
import * as guide from './reference/developers-guide.js';
import { registered, runTask, TOKEN, useStage } from './support.js';

const stage = useStage();
const onGateway = () =>
  stage.track(new Neuron({ gatewayUrl: stage.gw.url, neuronId: 'compat-1', auth: () => TOKEN }));

describe('the Developer’s Guide examples', () => {
  it('§3 Your first neuron: serves core/http, stops on SIGTERM', async () => {
    const neuron = stage.track(await guide.firstNeuron());
    const task = await runTask(stage.gw, 'core/http', { url: `${stage.gw.url}/__dev__/health` });
    expect(task.outcome).toMatchObject({ type: 'ack', output: { status: 200 } });
    process.emit('SIGTERM', 'SIGTERM');
    await expect.poll(() => neuron.getState()).toBe('stopped');
  });

  it('§5 Classifying failures: a 400 is terminal, a 5xx retryable', async () => {
    const neuron = onGateway();
    guide.classifyFailures(neuron);
    await neuron.start();
    const input = { prompt: 'p', model: 'm' };
    const ok = await runTask(stage.gw, 'core/llm', input);
    expect(ok.outcome).toMatchObject({ type: 'ack', output: { text: 'answer to p' } });
    expect(stage.world.llmRequests[0]).toMatchObject({ prompt: 'p', model: 'm' });
    stage.world.llmFailure = Object.assign(new Error('bad'), { status: 400 });
    const terminal = await runTask(stage.gw, 'core/llm', input);
    expect(terminal.outcome).toMatchObject({ kind: 'terminal', code: 'INVALID_REQUEST' });
    stage.world.llmFailure = Object.assign(new Error('busy'), { status: 503 });
    const retryable = await runTask(stage.gw, 'core/llm', input, { maxAttempts: 1 });
    expect(retryable.outcome).toMatchObject({ kind: 'retryable' });
  });

  it('§7 The HandlerContext toolkit', async () => {
    const t = createTestContext({ input: null });
    const resp = await guide.toolkit(t.ctx, 'f1', `${stage.gw.url}/__dev__/health`);
    expect(resp.status).toBe(200);
    expect(t.progress).toEqual([{ percent: 50, message: 'downloading' }]);
    expect(t.logs).toContainEqual(expect.objectContaining({ msg: 'fetched metadata' }));
  });

  it('§8 HttpTransport (default): the neuron registers', async () => {
    const neuron = stage.track(guide.defaultTransport(stage.gw.url, 'compat-1', () => TOKEN));
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    await neuron.start();
    await registered(stage.gw, 'compat-1');
  });

  it('§10 Unit-testing handlers: a hand-built fake ctx runs a handler, no gateway', async () => {
    const handler: Handler<{ items: string[] }, { count: number }> = async (input, ctx) => {
      ctx.progress({ percent: 100 });
      ctx.log.info({ items: input.items.length }, 'counted');
      if (input.items.length === 0) ctx.fail('nothing to count', { code: 'EMPTY' });
      return { count: input.items.length };
    };
    const lines: string[] = [];
    await expect(
      handler({ items: ['a'] }, guide.fakeContext({ items: ['a'] }, lines)),
    ).resolves.toEqual({
      count: 1,
    });
    expect(lines).toEqual(['info counted']);
    await expect(handler({ items: [] }, guide.fakeContext({ items: [] }))).rejects.toThrow(
      'nothing to count',
    );
  });

  it('§10 Watch the wire: frames to the debug log, reconnects to the status bar', async () => {
    const neuron = onGateway();
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    guide.watchTheWire(neuron);
    await neuron.start();
    await registered(stage.gw, 'compat-1');
    await expect.poll(() => stage.world.appended).toMatchObject([{ type: 'registered' }]);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^registered 1 caps as s-/));
    log.mockRestore();
    stage.gw.disconnect('compat-1', { reconnectAfterMs: 10 });
    await expect.poll(() => stage.world.shown.length).toBeGreaterThan(0);
    expect(stage.world.shown[0]?.[0]).toMatch(/^reconnecting #1 in \d+ms \(gateway disconnect/);
  });
});
