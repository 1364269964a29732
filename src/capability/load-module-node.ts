/**
 * Loads an optional module synchronously, from the SDK's own location as a static import would:
 * zod's JSON Schema converters, only once a zod schema that needs one is defined. Chosen by the
 * package's `#platform/load-module` import under the `node` condition.
 */
import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

export function loadModule(specifier: string): unknown {
  return requireFromHere(specifier);
}
