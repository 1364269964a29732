/**
 * `neuron tasks --watch`: the task list kept up to date from `/__dev__/events` until Ctrl-C. On a
 * terminal the table is redrawn in place (newest rows kept when it is taller than the window);
 * otherwise one line per change; with `--json`, one task record per line.
 */
import type { TaskRecord } from '../../dev-gateway/types.js';
import type { DevClient } from '../dev-client.js';
import { CliError, ExitCode } from '../errors.js';
import { outcomeText, painter, progressText, STATE_STYLE } from '../format.js';
import { type CliIo, out, useColour } from '../io.js';
import { clock } from '../task-detail.js';
import { tasksTable } from '../tasks-table.js';

const REDRAW_MS = 200;
/** Rows kept for the header and the `… older` line when the table is cut to the window. */
const CHROME_ROWS = 4;

export async function watchTasks(
  client: DevClient,
  options: { json: boolean },
  io: CliIo,
): Promise<number> {
  const records = new Map<string, TaskRecord>();
  const live = io.isTTY === true && !options.json;
  const paint = painter(useColour(io));
  let timer: NodeJS.Timeout | undefined;
  const redraw = (): void => {
    timer = undefined;
    const all = [...records.values()];
    const height = io.rows?.() ?? 24;
    const shown = all.slice(-Math.max(1, height - CHROME_ROWS));
    const width = (io.columns?.() ?? 80) - 1;
    const head = `neuron tasks --watch · ${client.baseUrl} · ${clock(Date.now())} · Ctrl-C to stop`;
    const older = all.length > shown.length ? [`… ${all.length - shown.length} older`] : [];
    const body = all.length === 0 ? ['no tasks yet'] : tasksTable(shown, io).split('\n');
    // Cut to the window: a wrapped row would scroll the header away.
    const lines = [head, '', ...older, ...body].map((line) => cutVisible(line, width));
    io.stdout(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
  };
  const changed = (task: TaskRecord): void => {
    records.set(task.taskId, task);
    if (options.json) out(io, JSON.stringify(task));
    else if (live) timer ??= setTimeout(redraw, REDRAW_MS);
    else out(io, changeLine(task, paint));
  };

  const stop = new AbortController();
  const interrupted = io.watchSignals?.();
  const onInterrupt = (): void => stop.abort();
  if (interrupted?.aborted) onInterrupt();
  interrupted?.addEventListener('abort', onInterrupt, { once: true });
  try {
    const ended = await client.follow(
      '',
      (name, data) => {
        if (name === 'task') changed(data as TaskRecord);
      },
      stop.signal,
      // Subscribed by now, and the events are held until this is done: the list, then every
      // change since, in order.
      async () => {
        for (const task of await client.get<TaskRecord[]>('/tasks')) {
          records.set(task.taskId, task);
          if (options.json) out(io, JSON.stringify(task));
        }
        if (live) redraw();
        else if (!options.json && records.size > 0) out(io, tasksTable([...records.values()], io));
      },
    );
    if (ended === 'ended') {
      throw new CliError(ExitCode.UNREACHABLE, `the gateway at ${client.baseUrl} closed`);
    }
    return ExitCode.OK;
  } finally {
    clearTimeout(timer);
    interrupted?.removeEventListener('abort', onInterrupt);
  }
}

/** `12:00:01.123 t-1 examples/echo leased attempt 1/3 cli-neuron-1 50% halfway`. */
function changeLine(task: TaskRecord, paint: ReturnType<typeof painter>): string {
  const parts = [clock(Date.now()), task.taskId, task.capabilityType];
  parts.push(paint(STATE_STYLE[task.state], task.state));
  parts.push(`attempt ${task.attempts}/${task.maxAttempts}`);
  if (task.state === 'leased' && task.neuronId) parts.push(task.neuronId);
  if (task.state === 'pending' && task.retryAt !== undefined) {
    parts.push(`retry at ${clock(task.retryAt)}`);
  }
  const progress = progressText(task);
  if (task.state === 'leased' && progress !== '-') parts.push(progress);
  if (task.outcome && task.state !== 'pending' && task.state !== 'leased') {
    parts.push(outcomeText(task.outcome));
  }
  return parts.join(' ');
}

/** An SGR colour sequence, captured so `split` keeps it. */
const SGR = new RegExp(`(${String.fromCharCode(27)}\\[[\\d;]*m)`);

/** Cuts a line to `width` visible characters, keeping its colour codes whole. */
function cutVisible(line: string, width: number): string {
  let visible = 0;
  let result = '';
  for (const part of line.split(SGR)) {
    if (SGR.test(part)) result += part;
    else {
      const room = width - visible;
      result += part.length > room ? part.slice(0, Math.max(0, room)) : part;
      visible += Math.min(part.length, Math.max(0, room));
    }
  }
  return result;
}
