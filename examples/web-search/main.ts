/** The web-search neuron as a process: `npm run example -- web-search`. */
import { Neuron } from '@holokai/neuron-sdk';
import { readEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { serveUntilSignal } from '../shared/serve.js';
import { createSearchHandler, webSearch } from './capability.js';

const env = readEnv('web-search');
const logger = await createLogger('web-search');

const neuron = new Neuron({ ...env, logger });
// WEB_SEARCH_URL points it at another results page (a test fixture, a proxy).
neuron.handle(webSearch, createSearchHandler({ baseUrl: process.env.WEB_SEARCH_URL || undefined }));

await serveUntilSignal(neuron, logger);
