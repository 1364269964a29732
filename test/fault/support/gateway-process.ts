/**
 * A reference gateway in a child process: start, SIGKILL, SIGSTOP/SIGCONT and restart on the
 * same port, plus its `/__dev__/` API. Every child is killed by `killGatewayProcesses()`
 * (call it in `afterEach`), and on exit of the test process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { DevGatewayOptions, TaskRecord, TaskSpec } from '@holokai/neuron-sdk/dev-gateway';

const CHILD = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const live = new Set<ChildProcess>();
let bootSeq = 0;
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export type ChildGatewayOptions = Omit<
  DevGatewayOptions,
  'acceptToken' | 'capabilityPolicy' | 'registerPolicy' | 'host'
>;

export class GatewayProcess {
  #child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly #options: ChildGatewayOptions;
  /** How many processes have served this port (1 + restarts). */
  boots = 1;

  private constructor(child: ChildProcess, url: string, options: ChildGatewayOptions) {
    this.#child = child;
    this.url = url;
    this.port = Number(new URL(url).port);
    this.#options = options;
  }

  /** Starts a gateway process; `port` 0 (the default) picks a free one, kept across restarts. */
  static async start(options: ChildGatewayOptions = {}): Promise<GatewayProcess> {
    const { child, url } = await spawnGateway(options);
    return new GatewayProcess(child, url, options);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Sends `signal` (SIGKILL by default) and resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Freezes the process (SIGSTOP): its sockets accept bytes, nothing answers. */
  pause(): void {
    this.#child.kill('SIGSTOP');
  }

  /** A new process on the same port, with fresh (empty) books. */
  async restart(options: ChildGatewayOptions = {}): Promise<void> {
    await this.kill();
    this.boots++;
    const { child } = await spawnGateway({ ...this.#options, ...options, port: this.port });
    this.#child = child;
  }

  async tasks(): Promise<TaskRecord[]> {
    return (await this.#api('GET', '/tasks')) as TaskRecord[];
  }

  async submit(spec: TaskSpec): Promise<TaskRecord> {
    return ((await this.#api('POST', '/tasks', spec)) as { task: TaskRecord }).task;
  }

  async task(taskId: string): Promise<TaskRecord> {
    return (await this.#api('GET', `/tasks/${encodeURIComponent(taskId)}`)) as TaskRecord;
  }

  /**
   * The dev API over `node:http` with no keep-alive: a control socket is closed with its answer,
   * so it is never mistaken for one the SDK left open (global `fetch` would share undici's
   * global dispatcher with the SDK's own library).
   */
  #api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${this.url}/__dev__${path}`,
        {
          method,
          agent: false,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            const json: unknown = JSON.parse(text);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(json);
            else reject(new Error(`dev API ${method} ${path}: ${status} ${text}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

async function spawnGateway(
  options: ChildGatewayOptions,
): Promise<{ child: ChildProcess; url: string }> {
  // Lease ids must never repeat in front of a neuron that outlives the gateway.
  const withPrefix = { leaseIdPrefix: `l-boot${++bootSeq}-`, ...options };
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(withPrefix)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway process did not start within 15 s: ${stderr}`));
    }, 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`gateway process exited (${code ?? signal}) before it was ready: ${stderr}`),
      );
    });
  });
  return { child, url };
}

/** For `afterEach`: SIGKILL every gateway process still running. */
export async function killGatewayProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
