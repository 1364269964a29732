/** The http-fetch neuron as a process: `npm run example -- http-fetch`. */
import { Neuron } from '@holokai/neuron-sdk';
import { readEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { serveUntilSignal } from '../shared/serve.js';
import { fetchHandler, httpFetch } from './capability.js';

const env = readEnv('http-fetch');
const logger = await createLogger('http-fetch');

const neuron = new Neuron({ ...env, logger });
neuron.handle(httpFetch, fetchHandler);

await serveUntilSignal(neuron, logger);
