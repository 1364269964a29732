/**
 * `npm run demo` / `neuron demo`: the reference gateway and a neuron in this process, a handful
 * of tasks that end in every way a task can, shown live, then a summary and a graceful stop.
 */
import { randomBytes } from 'node:crypto';
import { createDevGateway, type TaskRecord } from '../../dev-gateway/index.js';
import { Neuron, type NeuronRunOptions } from '../../neuron/neuron.js';
import { demoCapabilities } from './capabilities.js';
import { endingOf, scenario } from './scenario.js';
import { summaryLines } from './summary.js';
import {
  createLiveView,
  createPlainView,
  DEFAULT_COLUMNS,
  MIN_LIVE_COLUMNS,
  type Output,
  type Row,
  wrap,
} from './view.js';

export interface DemoOptions {
  /** Plain log lines even on a TTY. */
  plain?: boolean;
  /** Where to write. @default process.stdout */
  out?: Output & { isTTY?: boolean };
  /** Give up on tasks that have not settled after this long. @default 15_000 */
  timeoutMs?: number;
  /** An XState inspection observer for the demo's neuron (`neuron demo --inspect`). */
  inspect?: NeuronRunOptions['inspect'];
  /** Colour the live view. @default whether it is live and `NO_COLOR` is unset */
  colour?: boolean;
  /**
   * The inspector relay `inspect` sends to (`ws://…`): the demo then names its dashboard page
   * that shows the live actors.
   */
  inspectUrl?: string;
  /**
   * Called once the demo is over, before its gateway closes: the gateway (and its dashboard)
   * stays up until the promise settles.
   */
  holdOpen?: (dashboardUrl: string) => Promise<void>;
}

/** Runs the demo; resolves with the exit code: 0 when every task ended as it should. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const tty = out.isTTY === true;
  const live = !options.plain && tty && (out.columns ?? DEFAULT_COLUMNS) >= MIN_LIVE_COLUMNS;
  /** On a terminal, static lines are wrapped to its width too (so nothing breaks a redraw). */
  const say = (text: string): void => {
    const lines = tty ? wrap(text, (out.columns ?? DEFAULT_COLUMNS) - 1) : [text];
    out.write(`${lines.join('\n')}\n`);
  };
  const token = randomBytes(16).toString('hex');
  // A short retry backoff: long enough to watch the flaky task wait, short enough for a demo.
  const gateway = await createDevGateway({
    token,
    maxAttempts: 2,
    retryBackoff: { initialMs: 500 },
  });
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
    say(`reference gateway on ${gateway.url}`);
    if (options.inspectUrl) say(`live actors: ${dashboardOf(gateway.url, options.inspectUrl)}`);
    const registered = gateway.waitFor('registered', undefined, { timeoutMs: 5_000 });
    await neuron.start();
    const { capabilities } = await registered;
    say(`neuron demo-neuron registered: ${capabilities.map((c) => c.type).join(', ')}`);
    out.write('\n');

    const rows: Row[] = scenario.map((demo) => ({ demo, task: gateway.submitTask(demo.spec) }));
    const colour = options.colour ?? (live && process.env.NO_COLOR === undefined);
    const view = live ? createLiveView(out, rows, colour) : createPlainView(out, rows);
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

    const columns = tty ? (out.columns ?? DEFAULT_COLUMNS) : undefined;
    out.write(`\n${summaryLines(rows, columns).join('\n')}\n\n`);
    const unexpected = rows.filter((r) => endingOf(r.task) !== r.demo.expected);
    say('draining: neuron.stop({ drain: true })');
    await neuron.stop({ drain: true, timeoutMs: 5_000 });
    say(
      unexpected.length === 0
        ? 'every task ended as expected'
        : `${unexpected.length} task(s) ended unexpectedly: ${unexpected.map((r) => r.demo.label).join(', ')}`,
    );
    await options.holdOpen?.(dashboardOf(gateway.url, options.inspectUrl));
    return unexpected.length === 0 ? 0 : 1;
  } catch (err) {
    say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await neuron.stop({ drain: false });
    await gateway.close();
  }
}

function dashboardOf(gatewayUrl: string, inspectUrl: string | undefined): string {
  return `${gatewayUrl}/${inspectUrl ? `?inspect=${inspectUrl}` : ''}`;
}
