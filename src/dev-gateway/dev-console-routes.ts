/**
 * The `/__dev__/…` routes the dashboard's console needs beyond inspecting: re-running a settled
 * task, and checking a task input against the input schema its neurons advertise before it is
 * submitted (so the page ships no JSON Schema validator of its own).
 */
import { compileJsonSchema, type Validator } from '../capability/validator.js';
import type { JsonSchema } from '../protocol/frames.js';
import type { DevRoute } from './dev-api.js';
import { parseCheckInput } from './dev-validate.js';
import type { DevGateway } from './gateway.js';
import { errorAnswer } from './http.js';
import { SETTLED_STATES } from './task-records.js';
import type { NeuronInfo, TaskRecord } from './types.js';

/** Compiled input schemas by their JSON text; a long dev session sees only a handful. */
const MAX_CACHED_SCHEMAS = 64;

export function consoleRoutes(
  gw: DevGateway,
  servedBy: (neurons: readonly NeuronInfo[], task: TaskRecord) => number,
): DevRoute[] {
  const validators = new Map<string, Validator | Error>();
  const validatorFor = (capabilityType: string, schema: JsonSchema): Validator | Error => {
    const key = `${capabilityType}\n${JSON.stringify(schema)}`;
    let validator = validators.get(key);
    if (!validator) {
      try {
        validator = compileJsonSchema(schema, { capabilityType, phase: 'input' });
      } catch (err) {
        validator = err as Error;
      }
      if (validators.size >= MAX_CACHED_SCHEMAS) validators.clear();
      validators.set(key, validator);
    }
    return validator;
  };
  return [
    {
      method: 'POST',
      pattern: /^\/tasks\/([^/]+)\/retry\/?$/,
      handle: ([taskId]) => {
        const old = gw.task(taskId!);
        if (!old) {
          const message = `no task ${taskId}; list the tasks with GET /__dev__/tasks`;
          return errorAnswer(404, 'TASK_NOT_FOUND', message);
        }
        if (!SETTLED_STATES.includes(old.state)) {
          const message = `task ${taskId} is ${old.state}; retry a settled one (acked, failed, cancelled), or cancel this one first`;
          return errorAnswer(409, 'TASK_NOT_SETTLED', message);
        }
        const task = gw.retryTask(taskId!);
        return { status: 201, body: { task, servedBy: servedBy(gw.neurons(), task) } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/capabilities\/check-input\/?$/,
      handle: (_, body) => {
        const parsed = parseCheckInput(body);
        if ('problem' in parsed) return errorAnswer(400, 'INVALID_REQUEST', parsed.problem);
        const { capabilityType, input } = parsed.value;
        // The first registered neuron advertising a schema for the type: neurons of one type
        // normally share their capability's definition.
        const neuron = gw
          .neurons()
          .find((n) =>
            n.capabilities.some((c) => c.type === capabilityType && c.inputSchema !== undefined),
          );
        const schema = neuron?.capabilities.find((c) => c.type === capabilityType)?.inputSchema;
        if (!neuron || schema === undefined) {
          return { status: 200, body: { checked: false, valid: true, errors: [] } };
        }
        const validator = validatorFor(capabilityType, schema);
        if (validator instanceof Error) {
          const problem = validator.message;
          return { status: 200, body: { checked: false, valid: true, errors: [], problem } };
        }
        const result = validator.validate(input);
        const errors = result.ok ? [] : result.errors;
        return {
          status: 200,
          body: { checked: true, valid: result.ok, errors, neuronId: neuron.neuronId },
        };
      },
    },
  ];
}
