/**
 * A neuron as a production process: configuration from the environment, the enrolled fleet
 * credential for auth, and a shutdown that fits the orchestrator's grace period.
 *
 *   BIGBRAIN_GATEWAY_URL     the gateway
 *   BIGBRAIN_NEURON_ID       one per replica (Kubernetes: the pod name; systemd: the host name)
 *   HOLOKAI_CREDENTIAL_FILE  the fleet's credential, mounted read-only, mode 0600
 *   NEURON_STOP_TIMEOUT_MS   how long running tasks may take to finish on SIGTERM (default 25 000);
 *                            keep it under the grace period (terminationGracePeriodSeconds,
 *                            TimeoutStopSec, docker stop -t) with room for the SHUTDOWN nacks
 *
 * SIGTERM drains: no new leases, queued ones go back to the gateway at once, running ones finish
 * and report; whatever still runs at the timeout is aborted and nacked `SHUTDOWN`, so another
 * replica takes it. The process then exits 0.
 */
import { hostname } from 'node:os';
import { Neuron } from '@holokai/neuron-sdk';
import { createClientCredentialsAuth } from '@holokai/neuron-sdk/auth';
import { hashHandler, hashItems } from '../progress-cancel/capability.js';
import { createLogger } from '../shared/logger.js';

const logger = await createLogger('deploy');
const gatewayUrl = process.env.BIGBRAIN_GATEWAY_URL;
const stopTimeoutMs = Number(process.env.NEURON_STOP_TIMEOUT_MS ?? 25_000);
if (!gatewayUrl || !(stopTimeoutMs >= 0)) {
  logger.error({}, 'set BIGBRAIN_GATEWAY_URL (and NEURON_STOP_TIMEOUT_MS, if set, to ms ≥ 0)');
  process.exit(2);
}

const neuron = new Neuron({
  gatewayUrl,
  neuronId: process.env.BIGBRAIN_NEURON_ID || `hash-${hostname()}`,
  // Reads HOLOKAI_CREDENTIAL_FILE now: a missing mount stops the process at start-up.
  auth: createClientCredentialsAuth(),
  logger,
});
neuron.handle(hashItems, hashHandler);
neuron.on('error', (err) => logger.warn({ err: err.message }, 'neuron error'));

process.once('SIGTERM', () => {
  logger.info({ stopTimeoutMs }, 'SIGTERM: draining');
  neuron.stop({ drain: true, timeoutMs: stopTimeoutMs }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

await neuron.start();
logger.info({ neuronId: neuron.neuronId }, 'serving');
