import { createHook } from 'node:async_hooks';

/** The kinds of resource that keep a process alive: timers, sockets, servers. */
const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP']);

/** Frames that mark a resource as the SDK's: its own code, and the libraries it drives. */
const SDK_FRAMES = [
  /\/src\/(?!dev-gateway\/)/,
  /\/machines\//,
  /node_modules\/undici\//,
  /node_modules\/xstate\//,
];
const NOT_SDK = [/\/src\/dev-gateway\//, /\/test\//];

interface Tracked {
  type: string;
  stack: string;
  resource: { hasRef?: () => boolean };
}

function isSdk(stack: string): boolean {
  const frames = stack.split('\n').slice(1);
  const first = frames.find(
    (f) => SDK_FRAMES.some((re) => re.test(f)) || NOT_SDK.some((re) => re.test(f)),
  );
  return first !== undefined && !NOT_SDK.some((re) => re.test(first));
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
        if (!isSdk(t.stack)) continue;
        if (t.type === 'Timeout' && t.resource.hasRef?.() === false) continue;
        const origin = t.stack.split('\n').find((f) => SDK_FRAMES.some((re) => re.test(f))) ?? '';
        left.push(`${t.type} ${origin.trim()}`);
      }
      return left;
    },
    stop(): void {
      hook.disable();
    },
  };
}
