/**
 * Runs a neuron until SIGINT or SIGTERM, then stops it gracefully: running tasks finish and
 * report their outcome (drain), queued ones go back to the gateway, and the process exits 0.
 * A second signal exits at once.
 */
import type { Neuron, NeuronLogger } from '@holokai/neuron-sdk';

export async function serveUntilSignal(neuron: Neuron, log: NeuronLogger): Promise<void> {
  neuron.on('lease:settled', ({ taskId, capabilityType, outcome, durationMs }) => {
    const result = outcome?.kind === 'nack' ? `nack ${outcome.nack}` : (outcome?.kind ?? 'none');
    log.info({ taskId, capabilityType, outcome: result, durationMs }, 'task done');
  });

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting for running tasks');
      process.exit(1);
    }
    stopping = true;
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
