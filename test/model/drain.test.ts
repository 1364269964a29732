/**
 * Every transition of the drain machine, on a real `neuron.stop()`: a neuron serving one lease
 * from the reference gateway is stopped with and without drain, its handler settled or not.
 */
import { describe, expect, it } from 'vitest';
import { drainMachine } from '../../machines/drain.js';
import { reportCoverage } from './coverage.js';
import { edgesOf, type PlannedPath, planPaths } from './graph.js';
import { drainModel } from './models.js';
import { type Driver, NEURON_ID, Rig, rows, runPath, SUBJECT, stateAt } from './rig.js';

const DRAIN_TIMEOUT = 'xstate.after.drainTimeout.drain.waiting-for-handlers';
const ABORT_GRACE = 'xstate.after.abortGrace.drain.aborting';
const CLOSE_FAILED = 'xstate.error.actor.0.drain.closing';

const types = (path: PlannedPath) => path.steps.map((s) => s.event.type);

/** The lease running when `stop()` is called. */
let running = { leaseId: '', taskId: '' };

const driver: Driver = {
  subject: (m) => m.machine === 'drain',
  async setup(path) {
    const rig = await Rig.create({
      failingClose: types(path).includes(CLOSE_FAILED),
      neuron: { shutdownGraceMs: types(path).includes(ABORT_GRACE) ? 40 : 2_000 },
    });
    // The SHUTDOWN nack is not delivered within the abort grace: retried in a second.
    if (types(path).includes(ABORT_GRACE))
      rig.gw.failNext('nack', { status: 503, retryAfter: '1', times: 5 });
    const registered = rig.gw.waitFor('registered');
    await rig.neuron.start();
    await registered;
    const leased = rig.gw.waitFor('lease');
    const task = rig.gw.submitTask({ capabilityType: SUBJECT, input: { n: 1 } });
    running = { leaseId: (await leased).leaseId, taskId: task.taskId };
    await expect.poll(() => rig.started).toContain(running.leaseId);
    return rig;
  },
  async begin(rig, path) {
    void rig.stop({
      drain: path.input === 'drain',
      timeoutMs: types(path).includes(DRAIN_TIMEOUT) ? 40 : 60_000,
    });
  },
  act(rig, path, i) {
    // Waiting for handlers, `leases.idle` comes once the running handler returns and is acked.
    if (path.steps[i]?.event.type === 'leases.idle' && stateAt(path, i - 1).includes('waiting'))
      rig.settle(running.leaseId);
  },
  async wire(rig, path, i, m) {
    const now = stateAt(path, i);
    const mine = (r: { body?: unknown }) =>
      (r.body as { leaseId?: string })?.leaseId === running.leaseId;
    if (now.includes('waiting-for-handlers')) {
      expect(rig.aborted.has(running.leaseId), 'running handlers are waited for').toBe(false);
      expect(rig.requests('nack').filter(mine)).toEqual([]);
    }
    if (now.includes('aborting')) {
      await expect
        .poll(() => (rig.aborted.get(running.leaseId) as { reason?: string } | undefined)?.reason)
        .toBe('shutdown');
      const nack = await rig.waitForRequest('nack', mine, m.at);
      expect(nack.body).toMatchObject({ kind: 'retryable', code: 'SHUTDOWN' });
    }
    if (now.includes('closing')) {
      const was = stateAt(path, i - 1);
      if (was.includes('waiting')) {
        // Drained: the handler's outcome was delivered before the stream was closed.
        expect(
          rig
            .requests('ack')
            .filter(mine)
            .map((r) => r.status),
        ).toEqual([200]);
      }
      await expect
        .poll(() => rig.gw.neurons().find((n) => n.neuronId === NEURON_ID)?.streamOpen)
        .toBe(false);
    }
    if (now.includes('closed')) {
      await rig.stop(); // resolves, whether closing the transport worked or not
      expect(rig.neuron.getState()).toBe('stopped');
    }
  },
};

const plan = planPaths(drainModel.machine, drainModel.plan);

describe('drain machine, on a real neuron.stop()', () => {
  it('has a path to every transition', () => {
    expect(plan.unreachable).toEqual([]);
  });

  it.each(rows(plan.paths))('%s', async (_name, path) => {
    await runPath(driver, path);
  });

  it('takes every transition', () => {
    reportCoverage('drain', edgesOf(drainMachine));
  });
});
