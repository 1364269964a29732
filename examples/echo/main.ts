/** The echo neuron as a process: `npm run example -- echo`. */
import { Neuron } from '@holokai/neuron-sdk';
import { readEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { serveUntilSignal } from '../shared/serve.js';
import { echoCapability, echoHandler } from './capability.js';

const env = readEnv('echo');
const logger = await createLogger('echo');

const neuron = new Neuron({ ...env, logger });
neuron.handle(echoCapability, echoHandler);

await serveUntilSignal(neuron, logger);
