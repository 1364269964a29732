/**
 * Runs a neuron until SIGINT or SIGTERM, then stops it gracefully: running tasks finish and
 * report their outcome (drain), queued ones go back to the gateway, and the process exits 0.
 * A second signal, a second or more after the first, exits at once.
 */
import type { Neuron, NeuronLogger } from '@holokai/neuron-sdk';

/** Signals this close to the first are one Ctrl-C delivered twice, not a request to force. */
const DUPLICATE_SIGNAL_MS = 1_000;

export async function serveUntilSignal(neuron: Neuron, log: NeuronLogger): Promise<void> {
  neuron.on('lease:settled', ({ taskId, capabilityType, outcome, durationMs }) => {
    const result = outcome?.kind === 'nack' ? `nack ${outcome.nack}` : (outcome?.kind ?? 'none');
    log.info({ taskId, capabilityType, outcome: result, durationMs }, 'task done');
  });

  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt !== undefined) {
      // npm and tsx relay a Ctrl-C to a process that got it already: the same keypress, twice.
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      log.warn({ signal }, 'second signal: exiting without waiting for running tasks');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info({ signal }, 'stopping: waiting for running tasks (signal again to force)');
    neuron.stop({ drain: true }).then(
      () => {
        log.info({}, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: String(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Resolves at once, even while the gateway is down: the neuron keeps reconnecting.
  await neuron.start();
  log.info({ neuronId: neuron.neuronId }, 'neuron started; Ctrl-C to stop');
}
