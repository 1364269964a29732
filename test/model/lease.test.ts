/**
 * Every transition of the lease machine, on real lease actors: leases pushed by the reference
 * gateway to a real `Neuron`, handlers settled by the test, outcome POSTs answered as scripted.
 */
import { describe, expect, it } from 'vitest';
import { leaseMachine } from '../../machines/lease.js';
import type { LeaseFrame } from '../../src/protocol/frames.js';
import { reportCoverage } from './coverage.js';
import { edgesOf, type PlannedPath, planPaths } from './graph.js';
import { leaseModel } from './models.js';
import {
  type Driver,
  NEURON_ID,
  outcomePath,
  Rig,
  rows,
  runPath,
  SUBJECT,
  stateAt,
} from './rig.js';

const POSTING = /^outcome\.(delivered|failed)$/;
const HEARTBEAT_EVENTS = new Set(['renewed', 'heartbeat-accepted', 'lost']);
/** The pool expires a queued lease whose deadline passes (a short one, here). */
const QUEUE_EXPIRY = 'expire';
const CANCEL_GRACE = 'xstate.after.cancelGrace.lease.executing.cancelling';

/** The lease under test in the running path (tests of a file run one at a time). */
let subject = { leaseId: 'l-model', taskId: 't-model' };

const types = (path: PlannedPath) => path.steps.map((s) => s.event.type);

/** Through the gateway (renewed by its heartbeat answers) or pushed with `sendFrame`. */
const tracked = (path: PlannedPath) => types(path).some((t) => HEARTBEAT_EVENTS.has(t));
/** Held in `queued` by a lease that occupies the only slot. */
const needsBlocker = (path: PlannedPath) =>
  path.steps.some((step, i) => stateAt(path, i - 1) === '"queued"' && step.event.type !== 'start');

function frame(leaseId: string, extra: Partial<LeaseFrame> = {}): LeaseFrame {
  return {
    type: 'lease',
    leaseId,
    capabilityType: SUBJECT,
    task: { taskId: `t-${leaseId}`, input: { n: 1 } },
    ...extra,
  };
}

/** Answers to the subject's outcome POSTs, in order (nothing else posts one during a path). */
function scriptOutcomes(rig: Rig, path: PlannedPath): void {
  path.steps.forEach((step, i) => {
    if (!POSTING.test(step.event.type)) return;
    const on = outcomePath(stateAt(path, i - 1));
    const label = (step.event as { label?: string }).label ?? '';
    if (step.event.type === 'outcome.delivered') rig.gw.failNext(on, { status: 200, body: {} });
    else if (label.startsWith('409')) rig.gw.failNext(on, { status: 409 });
    else if (label === '503 retry') rig.gw.failNext(on, { status: 503, retryAfter: '0' });
    else if (label === '503 retry later') rig.gw.failNext(on, { status: 503, retryAfter: '10' });
    else if (label === '503 past expiry') rig.gw.failNext(on, { status: 503, retryAfter: '7200' });
    else rig.gw.failNext(on, { status: 400 });
  });
}

const driver: Driver = {
  subject: (m) => m.machine === 'lease' && m.actorId === subject.leaseId,
  async setup(path) {
    subject = { leaseId: 'l-model', taskId: 't-l-model' };
    const rig = await Rig.create({
      neuron: {
        ...(tracked(path) ? { heartbeatIntervalMs: 30 } : {}),
        ...(types(path).includes(CANCEL_GRACE) ? { cancelGraceMs: 30 } : {}),
      },
      inputSchema: { type: 'object', required: ['n'] },
    });
    scriptOutcomes(rig, path);
    const registered = rig.gw.waitFor('registered');
    await rig.neuron.start();
    await registered;
    return rig;
  },
  async begin(rig, path) {
    if (path.input === 'refused') {
      rig.gw.sendFrame(NEURON_ID, frame(subject.leaseId, { capabilityType: 'model/unknown' }));
      return;
    }
    if (path.input === 'expired') {
      const expiresAt = new Date(Date.now() - 1_000).toISOString();
      rig.gw.sendFrame(NEURON_ID, frame(subject.leaseId, { expiresAt }));
      return;
    }
    if (needsBlocker(path) && tracked(path)) {
      // A blocker the gateway issued: one it does not know, its heartbeat answers call lost.
      const leased = rig.gw.waitFor('lease');
      rig.gw.submitTask({ capabilityType: SUBJECT, input: { n: 1 } });
      const blocker = (await leased).leaseId;
      await expect.poll(() => rig.started).toContain(blocker);
    } else if (needsBlocker(path)) {
      rig.gw.sendFrame(NEURON_ID, frame('l-blocker'));
      await expect.poll(() => rig.started).toContain('l-blocker');
    }
    // Queued behind the blocker, the subject is in no heartbeat: it need not be the gateway's.
    if (tracked(path) && !needsBlocker(path)) {
      const leased = rig.gw.waitFor('lease');
      const task = rig.gw.submitTask({ capabilityType: SUBJECT, input: { n: 1 } });
      subject = { leaseId: (await leased).leaseId, taskId: task.taskId };
      return;
    }
    const lease = frame(subject.leaseId, {
      ...(path.input === 'mismatch'
        ? { task: { taskId: subject.taskId, input: 'not an object' } }
        : {}),
      ...(types(path).includes(QUEUE_EXPIRY)
        ? { expiresAt: new Date(Date.now() + 150).toISOString() }
        : {}),
    });
    rig.gw.sendFrame(NEURON_ID, lease);
  },
  act(rig, path, i) {
    const step = path.steps[i]!;
    const { leaseId, taskId } = subject;
    switch (step.event.type) {
      case 'start':
        if (needsBlocker(path)) void rig.neuron.updateCapability({ type: SUBJECT, concurrency: 2 });
        return;
      case 'cancel':
        if (tracked(path)) rig.gw.cancelTask(taskId, 'model');
        else rig.gw.sendFrame(NEURON_ID, { type: 'cancel', leaseId, reason: 'model' });
        return;
      case 'abort':
        rig.gw.revokeCapability(NEURON_ID, SUBJECT, 'model');
        return;
      case 'handler.settled': {
        const ack = (step.event as { label?: string }).label !== 'nack';
        rig.settle(leaseId, ack ? { ok: true } : new Error('threw'));
        return;
      }
      case 'lost':
        rig.gw.failNext('heartbeat', { status: 200, body: { leases: [], lost: [leaseId] } });
        return;
      case 'heartbeat-accepted':
        rig.gw.failNext('heartbeat', { status: 200, body: null });
        return;
      default:
        // Posting results (scripted), delays, expiry and renewals come by themselves.
        return;
    }
  },
  async wire(rig, path, i, m) {
    const now = stateAt(path, i);
    const was = i < 0 ? '' : stateAt(path, i - 1);
    const event = path.steps[i]?.event.type ?? '';
    const { leaseId } = subject;
    const mine = (r: { body?: unknown }) => (r.body as { leaseId?: string })?.leaseId === leaseId;
    const context = m.context as {
      outcome?: { kind: string; nack?: string; code?: string };
      settlement?: string;
      retryDelayMs?: number;
    };
    if (now.includes('posting') && !was.includes('posting')) {
      // In `acking` an ack POST is made, in `nacking` a nack with the outcome recorded.
      const post = await rig.waitForRequest(outcomePath(now), mine, m.at);
      const body = post.body as { kind?: string; code?: string };
      if (context.outcome?.kind === 'nack') {
        expect(body.kind).toBe(context.outcome.nack);
        expect(body.code).toBe(context.outcome.code);
      }
      if (path.input === 'refused') expect(body.code).toBe('UNKNOWN_CAPABILITY');
      if (event === 'cancel') expect(body.kind).toBe('cancelled');
      // A revoke after a cancel leaves the outcome `cancelled` ("whatever the handler then does").
      if (event === 'abort')
        expect(body.code).toBe(was.includes('cancelling') ? undefined : 'CAPABILITY_REVOKED');
      if (path.input === 'mismatch') expect(body.kind).toBe('schema-mismatch');
    }
    if (now.includes('retrying')) {
      const posts = rig.requests(outcomePath(now), m.at + 1).filter(mine);
      const early = posts.filter((r) => r.at < m.at + (context.retryDelayMs ?? 0) - 2);
      expect(early, 'no retry before its delay').toEqual([]);
    }
    if (now === '"settled"') {
      const label = (path.steps[i]?.event as { label?: string } | undefined)?.label ?? 'done';
      const expected: Record<string, string> = {
        done: 'delivered',
        '409 not held': 'not-held',
        '503 past expiry': 'expired',
        '400 refused': 'rejected',
      };
      // A delivered outcome records no settlement: the lease's output says `delivered`.
      expect(context.settlement ?? 'delivered').toBe(expected[label]);
      if (label === '400 refused') await expect.poll(() => rig.errors.length).toBeGreaterThan(0);
    }
    if (now === '"queued"') {
      // Not started, and not listed in a heartbeat, while it waits.
      expect(rig.startedAt.get(leaseId) ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(m.at);
      const left = rig.microsteps.find((x) => x.seq > m.seq && driver.subject(x) && x.keys.length);
      const listed = rig
        .requests('heartbeat', m.at)
        .filter((r) => r.at < (left?.at ?? Date.now()))
        .filter((r) =>
          JSON.stringify((r.body as { inFlight?: unknown }).inFlight).includes(leaseId),
        );
      expect(listed, 'no queued lease in a heartbeat').toEqual([]);
    }
    if (now.includes('running')) await expect.poll(() => rig.started).toContain(leaseId);
    if (now.includes('cancelling')) {
      await expect
        .poll(() => (rig.aborted.get(leaseId) as { reason?: string } | undefined)?.reason)
        .toBe('cancelled');
    }
    if (now === '"expired"' || now === '"lost"') {
      await rig.sleep(40);
      const outcomes = [...rig.requests('ack', m.at), ...rig.requests('nack', m.at)].filter(mine);
      expect(outcomes, `no outcome for a ${now} lease`).toEqual([]);
      if (now === '"lost"') {
        // The signal fires once: with `lost`, or earlier with the cancel being waited out; a
        // lease reporting its outcome has no handler left to signal.
        const reason = (rig.aborted.get(leaseId) as { reason?: string } | undefined)?.reason;
        if (was === '"queued"') expect(rig.started).not.toContain(leaseId);
        if (was.includes('retrying') || was === '"queued"') expect(reason).toBeUndefined();
        else expect(reason).toBe(was.includes('cancelling') ? 'cancelled' : 'lost');
      } else {
        expect(rig.started).not.toContain(leaseId);
      }
    }
    if (event === 'renewed' || event === 'heartbeat-accepted') {
      const beat = rig
        .requests('heartbeat')
        .find((r) => JSON.stringify((r.body as { inFlight?: unknown }).inFlight).includes(leaseId));
      expect(beat, 'a heartbeat listed the running lease').toBeDefined();
    }
  },
};

const plan = planPaths(leaseModel.machine, leaseModel.plan);

describe('lease machine, on real lease actors', () => {
  it('has a path to every transition', () => {
    expect(plan.unreachable).toEqual([]);
  });

  it.each(rows(plan.paths))('%s', async (_name, path) => {
    await runPath(driver, path);
  });

  it('takes every transition', () => {
    reportCoverage('lease', edgesOf(leaseMachine));
  });
});
