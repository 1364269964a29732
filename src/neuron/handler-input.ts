/**
 * What a handler hands the SDK through `ctx` becomes part of a frame, so it is checked against
 * PROTOCOL.md first: plain JavaScript can pass anything. A bad field is left out with a warning on
 * the lease's logger; the frame still goes out, and valid.
 */
import { checkJsonSerializable } from '../capability/validator.js';
import type { NeuronLogger } from '../logger.js';
import type { ProgressUpdate } from '../protocol/frames.js';

/** A nack `code` is a short machine-readable string (`UPSTREAM_NON_2XX`). */
export const MAX_CODE_CHARS = 128;
/** Reasons and progress messages are for people: longer text is cut. */
export const MAX_TEXT_CHARS = 4_096;

/** `ctx.progress(update)` → the fields of a valid progress frame; `undefined` to send nothing. */
export function progressFields(update: unknown, log: NeuronLogger): ProgressUpdate | undefined {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    log.warn({}, 'ctx.progress() takes an object { percent?, message?, data? }; call ignored');
    return undefined;
  }
  const fields: ProgressUpdate = {};
  const drop = (field: string, why: string): void =>
    log.warn({ field }, `ctx.progress(): ${field} ${why}; left out of the progress frame`);
  try {
    const { percent, message, data } = update as Record<string, unknown>;
    if (percent !== undefined) {
      if (typeof percent === 'number' && percent >= 0 && percent <= 100) fields.percent = percent;
      else drop('percent', 'must be a number from 0 to 100');
    }
    if (message !== undefined) {
      if (typeof message === 'string') fields.message = capText(message);
      else drop('message', 'must be a string');
    }
    if (data !== undefined) {
      const check = checkJsonSerializable(data);
      if (check.ok) fields.data = data;
      else drop('data', `must be JSON-serializable (${check.reason})`);
    }
  } catch (error) {
    log.warn({ err: describe(error) }, 'ctx.progress(): reading the update threw; call ignored');
    return undefined;
  }
  return fields;
}

/** `ctx.fail(reason, …)`'s reason as a nack `reason`: always a string, never huge. */
export function failReason(reason: unknown): string {
  try {
    return capText(typeof reason === 'string' ? reason : String(reason));
  } catch {
    return 'ctx.fail() was called with a reason that has no string form';
  }
}

/** `ctx.fail(…, { code })`'s code, if it is one a nack can carry; else left out with a warning. */
export function failCode(options: unknown, log: NeuronLogger): string | undefined {
  if (options === undefined || options === null) return undefined;
  let code: unknown;
  try {
    code = (options as { code?: unknown }).code;
  } catch {
    code = Symbol.for('unreadable');
  }
  if (code === undefined) return undefined;
  if (typeof code === 'string' && code !== '' && code.length <= MAX_CODE_CHARS) return code;
  log.warn(
    { code: typeof code === 'string' ? code.slice(0, MAX_CODE_CHARS) : typeof code },
    `ctx.fail(): code must be a non-empty string of at most ${MAX_CODE_CHARS} characters; the nack goes out without it`,
  );
  return undefined;
}

export function capText(text: string): string {
  return text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS - 1)}…` : text;
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error with no string form';
  }
}
