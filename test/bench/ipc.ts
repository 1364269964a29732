/**
 * Request/answer messages over a child process's IPC channel: the orchestrator drives the
 * gateway and neuron processes with `call(cmd, args)`; each child `serve`s a table of commands.
 */
import type { ChildProcess } from 'node:child_process';

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type Commands = Record<string, (args: never) => unknown>;

/** In a child: answer the parent's calls with `commands`. The child exits when the parent goes. */
export function serve(commands: Commands): void {
  if (!process.send) throw new Error('bench: this script runs as a child process with IPC');
  process.on('message', (message: Request) => {
    const command = commands[message.cmd];
    Promise.resolve()
      .then(() => {
        if (!command) throw new Error(`unknown command ${message.cmd}`);
        return command(message.args as never);
      })
      .then(
        (result) => process.send?.({ id: message.id, ok: true, result } satisfies Answer),
        (err: unknown) =>
          process.send?.({
            id: message.id,
            ok: false,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          } satisfies Answer),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** In the parent: calls into one child, each with a deadline. */
export class Remote {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #seq = 0;
  #exited: string | undefined;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    child.on('message', (answer: Answer) => {
      const pending = this.#pending.get(answer.id);
      if (!pending) return;
      this.#pending.delete(answer.id);
      if (answer.ok) pending.resolve(answer.result);
      else pending.reject(new Error(`${name}: ${answer.error}`));
    });
    child.on('exit', (code, signal) => {
      this.#exited = `${name} exited (code ${code}, signal ${signal})`;
      for (const { reject } of this.#pending.values()) reject(new Error(this.#exited));
      this.#pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(this.#exited));
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Ends the child: politely over IPC, then by its pid. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
