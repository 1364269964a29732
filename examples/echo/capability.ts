/**
 * The smallest capability: plain JSON Schemas (no zod), and a handler that returns its input.
 */
import type { CapabilityRegistration, Handler } from '@holokai/neuron-sdk';

export const echoCapability: CapabilityRegistration = {
  type: 'examples/echo',
  description: 'Returns its input unchanged, as { echoed: input }.',
  scope: 'any',
  concurrency: 4,
  // Any JSON value is accepted.
  inputSchema: {},
  outputSchema: {
    type: 'object',
    properties: { echoed: {} },
    required: ['echoed'],
    additionalProperties: false,
  },
};

export const echoHandler: Handler = (input, ctx) => {
  ctx.log.info({}, 'echoing');
  return { echoed: input };
};
