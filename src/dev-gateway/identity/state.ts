/**
 * The identity provider's state folder (`neuron dev`: `~/.holokai/dev-gateway/`): one JSON file
 * per concern, the folder `0700`, each file `0600`, every write atomic (a temporary file in the
 * same folder, flushed, then renamed over the old one). One gateway per folder: two gateways
 * sharing one would overwrite each other's client list.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** `~/.holokai/dev-gateway`, under `home` when given (the CLI passes its `HOME`). */
export function defaultStateDir(home: string = homedir()): string {
  return join(home, '.holokai', 'dev-gateway');
}

export class StateDir {
  readonly dir: string;
  /** The last write of each file: writes of one file happen in call order. */
  readonly #writes = new Map<string, Promise<void>>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates the folder (`0700`) if need be, and narrows a looser existing one to `0700`. */
  static async open(dir: string): Promise<StateDir> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, 0o700);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ConfigError(
        'NEURON_ERR_INVALID_OPTIONS',
        `dev gateway: cannot use the state folder ${dir} (${code}); pick another with stateDir (neuron dev --state-dir), or run without one (--ephemeral)`,
        { cause: err },
      );
    }
    return new StateDir(dir);
  }

  /** The parsed file, or `undefined` when there is none. A file that is not JSON is an error. */
  async read<T>(name: string): Promise<T | undefined> {
    const path = join(this.dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_OPTIONS',
        `dev gateway: ${path} is not valid JSON; fix or delete it (deleting it forgets what it held)`,
        { cause: err },
      );
    }
  }

  /** Replaces the file atomically; resolves once it is on disk. */
  write(name: string, value: unknown): Promise<void> {
    const previous = this.#writes.get(name) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const tmp = await this.#temporary(name, value);
        await rename(tmp, join(this.dir, name));
      });
    this.#writes.set(name, next);
    return next;
  }

  /**
   * Writes the file only if there is none (atomically: a hard link of a complete temporary file
   * either lands or finds one there), and returns what the folder holds: `value`, or what
   * another gateway wrote first.
   */
  async createIfAbsent<T>(name: string, value: T): Promise<T> {
    const existing = await this.read<T>(name);
    if (existing !== undefined) return existing;
    const tmp = await this.#temporary(name, value);
    try {
      await link(tmp, join(this.dir, name));
      return value;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return (await this.read<T>(name)) as T;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Resolves once every write so far has landed (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#writes.values()]);
  }

  async #temporary(name: string, value: unknown): Promise<string> {
    const tmp = join(this.dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(tmp, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    return tmp;
  }
}
