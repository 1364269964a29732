/**
 * `npm run demo` / `neuron demo`: the reference gateway and a neuron in this process, a handful
 * of tasks that end in every way a task can, shown live, then a summary and a graceful stop.
 */
import { randomBytes } from 'node:crypto';
import { createDevGateway, type TaskRecord } from '../../dev-gateway/index.js';
import { Neuron, type NeuronRunOptions } from '../../neuron/neuron.js';
import { demoCapabilities } from './capabilities.js';
import { endingOf, scenario } from './scenario.js';
import { createLiveView, createPlainView, type Output, type Row, summaryTable } from './view.js';

export interface DemoOptions {
  /** Plain log lines even on a TTY. */
  plain?: boolean;
  /** Where to write. @default process.stdout */
  out?: Output & { isTTY?: boolean };
  /** Give up on tasks that have not settled after this long. @default 15_000 */
  timeoutMs?: number;
  /** An XState inspection observer for the demo's neuron (`neuron demo --inspect`). */
  inspect?: NeuronRunOptions['inspect'];
}

/** Runs the demo; resolves with the exit code: 0 when every task ended as it should. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const live = !options.plain && out.isTTY === true;
  const token = randomBytes(16).toString('hex');
  const gateway = await createDevGateway({ token, maxAttempts: 2 });
  const neuron = new Neuron({
    gatewayUrl: gateway.url,
    neuronId: 'demo-neuron',
    auth: () => token,
    heartbeatIntervalMs: 1_000,
    cancelGraceMs: 1_000,
    ...(options.inspect && { inspect: options.inspect }),
  });
  for (const { registration, handler } of demoCapabilities) neuron.handle(registration, handler);

  try {
    out.write(`reference gateway on ${gateway.url}\n`);
    const registered = gateway.waitFor('registered', undefined, { timeoutMs: 5_000 });
    await neuron.start();
    const { capabilities } = await registered;
    out.write(`neuron demo-neuron registered: ${capabilities.map((c) => c.type).join(', ')}\n\n`);

    const rows: Row[] = scenario.map((demo) => ({ demo, task: gateway.submitTask(demo.spec) }));
    const view = live ? createLiveView(out, rows) : createPlainView(out, rows);
    const cancelled = new Set<string>();
    const off = gateway.on('task', (task: TaskRecord) => {
      const row = rows.find((r) => r.task.taskId === task.taskId);
      if (!row) return;
      row.task = task;
      const at = row.demo.cancelAtPercent;
      if (
        at !== undefined &&
        !cancelled.has(task.taskId) &&
        (task.progress.last?.percent ?? 0) >= at
      ) {
        cancelled.add(task.taskId);
        gateway.cancelTask(task.taskId, 'cancelled by the demo');
      }
      view.update();
    });
    view.update();
    try {
      const timeoutMs = options.timeoutMs ?? 15_000;
      const settled = await Promise.all(
        rows.map((r) => gateway.waitForTask(r.task.taskId, undefined, { timeoutMs })),
      );
      settled.forEach((task, i) => {
        const row = rows[i];
        if (row) row.task = task;
      });
    } finally {
      off();
      view.finish();
    }

    out.write(`\n${summaryTable(rows)}\n\n`);
    const unexpected = rows.filter((r) => endingOf(r.task) !== r.demo.expected);
    out.write('draining: neuron.stop({ drain: true })\n');
    await neuron.stop({ drain: true, timeoutMs: 5_000 });
    out.write(
      unexpected.length === 0
        ? 'every task ended as expected\n'
        : `${unexpected.length} task(s) ended unexpectedly: ${unexpected.map((r) => r.demo.label).join(', ')}\n`,
    );
    return unexpected.length === 0 ? 0 : 1;
  } catch (err) {
    out.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await neuron.stop({ drain: false });
    await gateway.close();
  }
}
