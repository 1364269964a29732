/**
 * Outside Node nothing can be loaded synchronously, and a static import would make every
 * bundle need zod, an optional peer. Chosen by the package's `#platform/load-module` import
 * under every condition but `node`. zod ≥ 4.2 (classic) schemas describe themselves (Standard
 * JSON Schema) and never get here.
 */
export function loadModule(specifier: string): never {
  throw new Error(
    `${specifier} cannot be loaded outside Node: there, only zod ≥ 4.2 schemas (not zod mini) can ` +
      'be described as JSON Schema; give this capability JSON Schemas (inputSchema/outputSchema) instead',
  );
}
