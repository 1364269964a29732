/** Runs the SDK reference's "Examples" (`reference/sdk-examples.ts`) against the reference gateway. */
import { Neuron } from '@holokai/neuron-sdk';
import { describe, expect, it, vi } from 'vitest';
import * as ex from './reference/sdk-examples.js';
import { registered, runTask, TOKEN, useStage } from './support.js';

const stage = useStage();
const onGateway = () =>
  stage.track(new Neuron({ gatewayUrl: stage.gw.url, neuronId: 'compat-1', auth: () => TOKEN }));

describe('the SDK reference’s Examples', () => {
  it('Simple any-scoped capability: fetches with the lease’s signal', async () => {
    const neuron = stage.track(await ex.simpleAnyScoped());
    expect(neuron.neuronId).toBe('worker-compat-host');
    const task = await runTask(stage.gw, 'core/http', { url: `${stage.gw.url}/__dev__/health` });
    expect(task.outcome).toMatchObject({ type: 'ack', output: { status: 200 } });
    expect(JSON.parse((task.outcome as { output: { body: string } }).output.body)).toMatchObject({
      ok: true,
    });
  });

  it('User-scoped capability: serves its user, with progress', async () => {
    const neuron = onGateway();
    const userId = await ex.userScoped(neuron);
    await neuron.start();
    await registered(stage.gw, 'compat-1');
    const task = await runTask(
      stage.gw,
      'desktop/mcp/drive.read',
      { fileId: 'f1' },
      { onBehalfOf: userId },
    );
    expect(task.outcome).toMatchObject({
      type: 'ack',
      output: { name: 'f1.txt', mimeType: 'text/plain', content: 'contents of f1' },
    });
    expect(task.progress.count).toBeGreaterThan(0);
  });

  it('Long-running task with progress: processes every row', async () => {
    const neuron = onGateway();
    ex.longRunning(neuron);
    await neuron.start();
    const task = await runTask(stage.gw, 'core/data.transform', { rows: [1, 2] });
    expect(task.outcome).toMatchObject({
      type: 'ack',
      output: { results: [{ processed: 1 }, { processed: 2 }] },
    });
  });

  it('Error handling: success acks, a 400 fails for good, anything else is retryable', async () => {
    const neuron = onGateway();
    ex.errorHandling(neuron);
    await neuron.start();
    const input = { prompt: 'p', model: 'm' };
    const ok = await runTask(stage.gw, 'core/llm', input);
    expect(ok.outcome).toMatchObject({
      type: 'ack',
      output: { text: 'answer to p', tokensUsed: 7 },
    });
    stage.world.llmFailure = Object.assign(new Error('bad prompt'), { status: 400 });
    const terminal = await runTask(stage.gw, 'core/llm', input);
    expect(terminal.outcome).toMatchObject({
      type: 'nack',
      kind: 'terminal',
      code: 'INVALID_REQUEST',
      reason: 'invalid LLM request: bad prompt',
    });
    stage.world.llmFailure = Object.assign(new Error('overloaded'), { status: 503 });
    const retryable = await runTask(stage.gw, 'core/llm', input, { maxAttempts: 1 });
    expect(retryable.outcome).toMatchObject({
      type: 'nack',
      kind: 'retryable',
      reason: 'overloaded',
    });
  });

  it('Graceful shutdown: SIGTERM drains, stops, then exits', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const neuron = onGateway();
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    await ex.gracefulShutdown(neuron);
    await registered(stage.gw, 'compat-1');
    process.emit('SIGTERM', 'SIGTERM');
    await expect.poll(() => exit.mock.calls).toEqual([[0]]);
    expect(neuron.getState()).toBe('stopped');
    expect(log).toHaveBeenCalledWith('SIGTERM received — draining...');
    exit.mockRestore();
    log.mockRestore();
  });
});
