/**
 * AUTH.md §3, the credential file: "JSON, UTF-8, written atomically (a temporary file in the same
 * folder, then rename), mode `0600`, its folder created `0700`." A reader "ignores keys it does not
 * know and refuses a file with another `version`, or one readable by group or others (POSIX), with
 * an error that says how to fix it." The file is untrusted input: every field is type-checked, and
 * no message ever quotes the file's content (a JSON parser's message would).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CredentialFileError } from './errors.js';
import { isSecureOrLoopback } from './url.js';

/** The credential file, keys in snake_case so that every SDK reads the same file (AUTH.md §3). */
export interface CredentialFile {
  version: 1;
  /** Moku's issuer. */
  issuer: string;
  token_endpoint: string;
  client_id: string;
  client_secret: string;
  /** The `audience` of every token request: `bigbrain`. */
  audience: string;
  /** The enrolled name (`--name`); informative. */
  name?: string;
  /** The capabilities requested at enrollment: display hints, informative. */
  capabilities?: string[];
  /** ISO 8601; informative. */
  enrolled_at?: string;
}

/** A credential file is a few hundred bytes; anything this large is not one. */
const MAX_FILE_BYTES = 64 * 1024;
/** Group and other permission bits. */
const GROUP_OTHER = 0o077;

/** `$HOLOKAI_CREDENTIAL_FILE`, else `~/.holokai/neuron-credentials.json`. */
export function defaultCredentialPath(): string {
  const fromEnv = process.env.HOLOKAI_CREDENTIAL_FILE;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.holokai', 'neuron-credentials.json');
}

/**
 * Reads and validates a credential file. Throws a `CredentialFileError` whose `reason` is
 * `missing`, `unreadable`, `insecure` (group/other permissions), `malformed` or `version`.
 */
export async function readCredentialFile(
  path: string = defaultCredentialPath(),
): Promise<CredentialFile> {
  let text: string;
  try {
    // Stat and read through one descriptor, so the mode checked is the mode of the bytes read.
    const handle = await open(path, 'r');
    try {
      checkFile(path, await handle.stat());
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw asFileError(path, err);
  }
  return parseCredentialFile(text, path);
}

/** `readCredentialFile`, synchronously: for `createClientCredentialsAuth`'s fail-fast start. */
export function readCredentialFileSync(path: string): CredentialFile {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      checkFile(path, fstatSync(fd));
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw asFileError(path, err);
  }
  return parseCredentialFile(text, path);
}

function checkFile(path: string, stats: Stats): void {
  if (!stats.isFile()) {
    throw new CredentialFileError('unreadable', path, `${path} is not a regular file`);
  }
  if (stats.size > MAX_FILE_BYTES) {
    throw new CredentialFileError(
      'malformed',
      path,
      `${path} is too large to be a credential file`,
    );
  }
  if (process.platform !== 'win32' && (stats.mode & GROUP_OTHER) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new CredentialFileError(
      'insecure',
      path,
      `credential file ${path} is accessible by group or others (mode ${mode}); it holds a client secret. ` +
        `Run \`chmod 600 ${path}\` (for a mounted secret, give it file mode 0600)`,
    );
  }
}

function asFileError(path: string, err: unknown): unknown {
  if (err instanceof CredentialFileError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') {
    return new CredentialFileError(
      'missing',
      path,
      `no credential file at ${path}: enroll this machine (\`npx @holokai/neuron-sdk enroll --moku-url … --name …\`), or point HOLOKAI_CREDENTIAL_FILE at the file`,
    );
  }
  return new CredentialFileError(
    'unreadable',
    path,
    `cannot read credential file ${path} (${typeof code === 'string' ? code : 'unknown error'}): make it readable by the user the neuron runs as`,
  );
}

/** Validates untrusted JSON; the message lists every problem, never a value. */
export function parseCredentialFile(text: string, path: string): CredentialFile {
  const malformed = (what: string): CredentialFileError =>
    new CredentialFileError(
      'malformed',
      path,
      `credential file ${path} ${what}: fix it, or enroll again with --force to rewrite it`,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Never the parser's message: it quotes the text around the error, which may be the secret.
    throw malformed('is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw malformed('is not a JSON object');
  }
  const raw = data as Record<string, unknown>;
  if (raw.version !== 1) {
    if (typeof raw.version === 'number') {
      throw new CredentialFileError(
        'version',
        path,
        `credential file ${path} has version ${raw.version}; this SDK reads version 1: upgrade @holokai/neuron-sdk, or enroll again with --force`,
      );
    }
    throw malformed('has no numeric "version"');
  }
  const problems: string[] = [];
  const readString = (key: string, optional = false): string | undefined => {
    const value = raw[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value === '') {
      problems.push(`"${key}" must be a non-empty string`);
      return undefined;
    }
    return value;
  };
  const issuer = readString('issuer');
  if (issuer !== undefined && !URL.canParse(issuer)) problems.push('"issuer" must be a URL');
  const tokenEndpoint = readString('token_endpoint');
  if (tokenEndpoint !== undefined) {
    const url = URL.parse(tokenEndpoint);
    if (!url || !isSecureOrLoopback(url)) {
      problems.push('"token_endpoint" must be an https URL (http only to a loopback host)');
    }
  }
  const clientId = readString('client_id');
  const clientSecret = readString('client_secret');
  const audience = readString('audience');
  const name = readString('name', true);
  const enrolledAt = readString('enrolled_at', true);
  const capabilities = raw.capabilities;
  if (
    capabilities !== undefined &&
    !(Array.isArray(capabilities) && capabilities.every((c) => typeof c === 'string'))
  ) {
    problems.push('"capabilities" must be an array of strings');
  }
  if (problems.length > 0) throw malformed(`is invalid: ${problems.join('; ')}`);
  return {
    version: 1,
    issuer: issuer!,
    token_endpoint: tokenEndpoint!,
    client_id: clientId!,
    client_secret: clientSecret!,
    audience: audience!,
    ...(name !== undefined ? { name } : {}),
    ...(capabilities !== undefined ? { capabilities: [...(capabilities as string[])] } : {}),
    ...(enrolledAt !== undefined ? { enrolled_at: enrolledAt } : {}),
  };
}

/** Whether something (a file, a link, a folder) already sits at `path`. */
export async function credentialFileExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    // ENOTDIR: a file stands where a folder of the path should be; nothing is at `path` itself.
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

/** Creates the file's folder (`0700`) if it is missing. */
export async function ensureCredentialFolder(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
}

/**
 * AUTH.md §3: "written atomically (a temporary file in the same folder, then rename), mode `0600`,
 * its folder created `0700`." The data is flushed before the rename, so a crash leaves either the
 * old file or the whole new one. Replacing an existing file is the caller's decision (`--force`).
 */
export async function writeCredentialFile(path: string, credential: CredentialFile): Promise<void> {
  await ensureCredentialFolder(path);
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(credential, null, 2)}\n`, 'utf8');
      // The umask may only have narrowed 0600; make it exactly 0600.
      if (process.platform !== 'win32') await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
