import { createHook } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';

/** The kinds of resource that keep a process alive: timers, sockets, servers. */
const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP']);

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(
  /[.*+?^${}()|[\]\\]/g,
  '\\$&',
);

/** The SDK's own code: a resource created with one of these frames on its stack is the SDK's. */
const SDK_SOURCE = [new RegExp(`${root}src/(?!dev-gateway/)`), new RegExp(`${root}machines/`)];
/**
 * The libraries the SDK drives. A timer they create counts when no test or gateway code made it.
 * A socket only counts with an SDK frame on its stack: importing undici makes its Agent the
 * process's global dispatcher, so a handler's own `fetch` opens sockets whose stacks show undici
 * alone (the SDK's own sockets are opened from its transport's calls).
 */
const SDK_LIBRARIES = [/node_modules\/undici\//, /node_modules\/xstate\//];
/** Code that is not the SDK's: the in-process gateway, tests, and user code such as the examples. */
const NOT_SDK = [/\/src\/dev-gateway\//, /\/test\//, /\/examples\//];

interface Tracked {
  type: string;
  stack: string;
  resource: { hasRef?: () => boolean };
}

/**
 * The innermost frame of known code decides: a handler's `fetch` runs inside the SDK's
 * handler run, but the socket is the handler's. With only library frames, see SDK_LIBRARIES.
 */
function isSdk(type: string, stack: string): boolean {
  const frames = stack
    .split('\n')
    .slice(1)
    .filter((f) => !f.includes('/test/support/resources.ts'));
  const matches = (f: string, patterns: RegExp[]): boolean => patterns.some((re) => re.test(f));
  const decisive = frames.find((f) => matches(f, SDK_SOURCE) || matches(f, NOT_SDK));
  if (decisive !== undefined) return !matches(decisive, NOT_SDK);
  return type !== 'TCPWRAP' && frames.some((f) => matches(f, SDK_LIBRARIES));
}

/**
 * Records the timers and sockets created from now on, with where they were created, so a test
 * can tell the SDK's leftovers from the in-process gateway's and vitest's own.
 */
export function trackResources() {
  const alive = new Map<number, Tracked>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (!TRACKED.has(type)) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      alive.set(id, { type, stack, resource: resource as Tracked['resource'] });
    },
    destroy(id) {
      alive.delete(id);
    },
  }).enable();

  return {
    /** The SDK's timers (those that keep the process alive) and sockets still open. */
    sdkLeftovers(): string[] {
      const left: string[] = [];
      for (const t of alive.values()) {
        if (!isSdk(t.type, t.stack)) continue;
        if (t.type === 'Timeout' && t.resource.hasRef?.() === false) continue;
        const origin =
          t.stack
            .split('\n')
            .find((f) => [...SDK_SOURCE, ...SDK_LIBRARIES].some((re) => re.test(f))) ?? '';
        left.push(`${t.type} ${origin.trim()}`);
      }
      return left;
    },
    stop(): void {
      hook.disable();
    },
  };
}
