/**
 * The bearer token never appears in a log line, an error message, an emitted event or a thrown
 * error: a recognisable token, a logger that captures everything (and pino configured to redact
 * the Authorization header), every path that handles the token driven, the output searched.
 */
import { Writable } from 'node:stream';
import type { NeuronLogger } from '@holokai/neuron-sdk';
import { createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createHarness, disposeHarnesses, eventsNamed } from '../e2e/harness.js';

afterEach(disposeHarnesses);

const SECRET = 'sk-live-SECRET-7f3a9c2e';
const echo = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;

/** Everything that can be said about a value, its causes and stacks included. */
function spill(value: unknown, seen = new Set<unknown>()): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  if (value instanceof Error) {
    const own = Object.fromEntries(Object.entries(value));
    return [
      value.name,
      value.message,
      value.stack,
      spill(value.cause, seen),
      spill(own, seen),
    ].join('\n');
  }
  return Object.entries(value)
    .map(([k, v]) => `${k}=${spill(v, seen)}`)
    .join('\n');
}

/** A logger that keeps every argument of every call, child bindings included. */
function everythingLogger(out: string[]): NeuronLogger {
  const make = (bindings: Record<string, unknown>): NeuronLogger => {
    const log = (meta: Record<string, unknown>, msg?: string) => {
      out.push(`${msg ?? ''}\n${spill({ ...bindings, ...meta })}`);
    };
    return {
      debug: log,
      info: log,
      warn: log,
      error: log,
      child: (b) => make({ ...bindings, ...b }),
    };
  };
  return make({});
}

describe('the bearer token', () => {
  it('appears in no log line, error, event or thrown error, even when the gateway echoes it back (regression: gateway messages were quoted verbatim)', async () => {
    const logged: string[] = [];
    const pinoLines: string[] = [];
    const pinoLogger = pino(
      {
        level: 'trace',
        redact: {
          paths: ['authorization', 'headers.authorization', '*.headers.authorization'],
          censor: '[REDACTED]',
        },
      },
      new Writable({
        write(chunk, _enc, done) {
          pinoLines.push(String(chunk));
          done();
        },
      }),
    );
    const everything = everythingLogger(logged);
    const recording = createRecordingLogger();
    // Three loggers at once: every line goes to each.
    const fanOut =
      (level: 'debug' | 'info' | 'warn' | 'error') =>
      (meta: Record<string, unknown>, msg?: string) => {
        everything[level](meta, msg);
        recording[level](meta, msg);
        pinoLogger[level](meta, msg);
      };
    const logger: NeuronLogger = {
      debug: fanOut('debug'),
      info: fanOut('info'),
      warn: fanOut('warn'),
      error: fanOut('error'),
    };
    const inspected: string[] = [];
    let token = SECRET;
    const h = await createHarness({
      auth: () => token,
      gateway: { acceptToken: (t) => t === SECRET },
      neuron: {
        logger,
        initialReconnectDelayMs: 20,
        maxReconnectDelayMs: 100,
        inspect: (event: InspectionEvent) => {
          if (event.type === '@xstate.snapshot') {
            inspected.push(
              JSON.stringify((event.snapshot as { context?: unknown }).context ?? null),
            );
          }
        },
      },
    });
    const thrown: unknown[] = [];
    h.neuron.handle(echo, (input) => input);
    const echoed = `token ${SECRET} is not welcome here`;
    // The gateway quotes the token in its refusals: on the open, on register, on a heartbeat.
    h.gw.failNext('events', { status: 401, message: echoed, times: 2 });
    h.gw.failNext('events', { status: 403, message: echoed });
    h.gw.failNext('register', { status: 503, message: echoed, code: `E_${SECRET}` });
    await h.neuron.start();
    await h.gw.waitFor('registered', undefined, { timeoutMs: 5_000 });
    h.gw.failNext('heartbeat', { status: 401, message: echoed, times: 2 });
    await h.gw.waitFor('registered', undefined, { timeoutMs: 5_000 });
    // A task whose ack the gateway refuses quoting the token (400: reported, not retried).
    h.gw.failNext('ack', { status: 400, message: echoed });
    const task = h.gw.submitTask({ capabilityType: echo.type, input: 'x' });
    await expect.poll(() => eventsNamed(h.events, 'lease:settled')).toHaveLength(1);
    // updateCapability() rejects with the gateway's answer: thrown to the caller.
    h.gw.failNext('update-capability', { status: 403, message: echoed });
    await h.neuron
      .updateCapability({ type: echo.type, concurrency: 3 })
      .catch((e) => thrown.push(e));
    // A token that cannot be a header: refused without quoting it.
    token = `${SECRET} with spaces`;
    h.gw.dropStream('neuron-1');
    await expect
      .poll(() => h.errors.some((e) => /cannot be sent in a header/.test(e.message)))
      .toBe(true);
    token = SECRET;
    await h.gw.waitFor('registered', undefined, { timeoutMs: 5_000 });
    expect(h.gw.task(task.taskId)?.history.length).toBeGreaterThan(0);

    // The token did travel where it belongs…
    expect(
      h.gw.requestsTo('events').some((r) => r.headers.authorization === `Bearer ${SECRET}`),
    ).toBe(true);
    expect(thrown).toHaveLength(1);
    expect(h.errors.length).toBeGreaterThanOrEqual(3);
    expect(
      String(
        (h.errors.find((e) => 'gatewayMessage' in e) as { gatewayMessage?: string })
          ?.gatewayMessage,
      ),
    ).toContain('[redacted]');
    // …and nowhere else.
    const said = [
      ...logged,
      ...pinoLines,
      JSON.stringify(recording.logs),
      ...h.errors.map((e) => spill(e)),
      ...thrown.map((e) => spill(e)),
      ...h.events.map((e) => spill(e)),
      JSON.stringify(h.neuron.snapshot()),
      ...inspected,
    ].join('\n');
    expect(logged.length).toBeGreaterThan(10);
    expect(pinoLines.length).toBeGreaterThan(10);
    expect(said).not.toContain(SECRET);
    expect(said).not.toContain('SECRET-7f3a9c2e');
    await h.stop();
  });
});
