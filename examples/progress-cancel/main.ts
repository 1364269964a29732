/** The progress-cancel neuron as a process: `npm run example -- progress-cancel`. */
import { Neuron } from '@holokai/neuron-sdk';
import { readEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { serveUntilSignal } from '../shared/serve.js';
import { hashHandler, hashItems } from './capability.js';

const env = readEnv('progress-cancel');
const logger = await createLogger('progress-cancel');

const neuron = new Neuron({ ...env, logger });
neuron.handle(hashItems, hashHandler);

await serveUntilSignal(neuron, logger);
