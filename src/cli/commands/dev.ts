import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { defaultStateDir, StateDir } from '../../dev-gateway/identity/state.js';
import { createDevGateway, type DevGateway } from '../../dev-gateway/index.js';
import type { RetryBackoff } from '../../dev-gateway/options.js';
import { ConfigError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { logGatewayEvents } from '../dev-log.js';
import { CliError, ExitCode, usage } from '../errors.js';
import {
  DEV_INSPECT_PORT,
  INSPECT_URL_VAR,
  inspectorHelp,
  inspectPort,
  startInspector,
} from '../inspect-option.js';
import type { InspectorServer } from '../inspector-server.js';
import { type CliIo, out, useColour, warn } from '../io.js';
import { createLineLogger, type LogFormat } from '../log.js';
import { integer } from '../options.js';

const DEV_TOKEN_FILE = 'dev-token.json';

export interface DevOptions {
  port: number;
  host: string;
  token?: string;
  /** `false` with `--no-auth`. */
  auth: boolean;
  json?: boolean;
  plain?: boolean;
  /** `--inspect [port]`: `true` for the default port. */
  inspect?: boolean | number;
  stateDir?: string;
  ephemeral?: boolean;
  orgId?: string;
  retryDelay: number;
  retryMaxDelay: number;
}

export function registerDev(program: Command, ctx: CommandContext): void {
  program
    .command('dev')
    .description('run the reference gateway in the foreground and log what neurons do on it')
    .option(
      '--port <port>',
      'port to listen on; 0 picks a free one',
      integer('--port', 0, 65_535),
      7777,
    )
    .option(
      '--host <host>',
      'interface to bind; keep it loopback unless you need otherwise',
      '127.0.0.1',
    )
    .option('--token <token>', 'the bearer token neurons must send (default: a random one)')
    .option('--no-auth', 'accept any token (loopback hosts only)')
    .option('--json', 'log JSON lines (pino format), also on a terminal')
    .option('--plain', 'log text lines, also when stdout is not a terminal')
    .option(
      '--state-dir <dir>',
      'keep the signing key, enrolled clients and dev token here (default: ~/.holokai/dev-gateway)',
    )
    .option('--ephemeral', 'keep no state: a restart forgets enrolled neurons and the dev token')
    .option(
      '--org-id <id>',
      'the org_id of neurons enrolled from now on (lets them serve org/<id>/*)',
    )
    .option(
      '--retry-delay <ms>',
      'wait before redelivering a task nacked retryable, doubled per attempt; 0 redelivers at once',
      integer('--retry-delay', 0),
      1_000,
    )
    .option(
      '--retry-max-delay <ms>',
      'the longest wait between two deliveries of a task',
      integer('--retry-max-delay', 0),
      30_000,
    )
    .option(
      '--inspect [port]',
      `also run an inspector relay on 127.0.0.1 for the dashboard's live actors (default port ${DEV_INSPECT_PORT}; 0 picks a free one)`,
      inspectPort,
    )
    .addHelpText(
      'after',
      `
It prints the lines a neuron needs (BIGBRAIN_GATEWAY_URL, BIGBRAIN_TOKEN), then one line per
connection, registration, lease, progress update and outcome. Ctrl-C stops it.
It is also an identity provider at <url>/moku: \`neuron enroll --moku-url <url>/moku\` enrolls a
neuron, \`neuron approve <user-code>\` (or the dashboard's /device page) lets it in. Enrolled
neurons and the dev token survive a restart unless --ephemeral.
Open the gateway's URL in a browser for the dashboard: neurons, tasks (each one's attempts,
progress and outcome), the lease machine, and buttons to submit, cancel, retry, revoke, disconnect.
A task nacked retryable is redelivered after --retry-delay, doubled per attempt up to
--retry-max-delay. Restarting it under connected neurons is safe: lease ids never repeat.
With --inspect, neurons that send their actors to the relay (${INSPECT_URL_VAR}) show their live
actors and their own lease states on the dashboard (no internet needed), and in the Stately
inspector for those online.
The /__dev__/… API it serves (used by inject, tasks, cancel…) has no authentication.`,
    )
    .action(async (options: DevOptions) => ctx.done(await dev(options, ctx.io)));
}

export async function dev(options: DevOptions, io: CliIo): Promise<number> {
  const { host, port } = options;
  // Readable lines for a person at a terminal; JSON for a log collector, unless asked otherwise.
  const json = options.json === true || (io.isTTY !== true && options.plain !== true);
  const loopback = isLoopback(host);
  if (options.token !== undefined && !options.auth) {
    throw usage('--token and --no-auth contradict each other; pass one of them');
  }
  if (options.token === '') throw usage('--token must not be empty; omit it for a random one');
  if (!options.auth && !loopback) {
    throw usage(
      `--no-auth is refused on a non-loopback host (${host}): anyone on the network could connect; pass --token instead`,
    );
  }
  if (options.ephemeral && options.stateDir !== undefined) {
    throw usage('--state-dir and --ephemeral contradict each other; pass one of them');
  }
  if (options.stateDir === '')
    throw usage('--state-dir must not be empty; omit it for the default');
  if (options.orgId === '') throw usage('--org-id must not be empty; omit it for no org_id');
  if (!loopback) {
    warn(
      io,
      `listening on ${host}: the gateway and its unauthenticated /__dev__ API are reachable from other machines, over plain HTTP (no TLS)`,
    );
  }
  const stateDir = options.ephemeral
    ? undefined
    : (options.stateDir ?? defaultStateDir(io.env.HOME || undefined));
  const token = options.auth ? (options.token ?? (await devToken(stateDir))) : undefined;
  const retryBackoff = { initialMs: options.retryDelay, maxMs: options.retryMaxDelay };
  const gw = await start({ host, port, token, stateDir, orgId: options.orgId, retryBackoff });
  const identity = gw.identity!;
  let inspector: InspectorServer | undefined;
  if (options.inspect !== undefined) {
    const inspectAt = options.inspect === true ? DEV_INSPECT_PORT : Number(options.inspect);
    inspector = await startInspector(inspectAt, gw.url).catch(async (err: unknown) => {
      await gw.close();
      throw err;
    });
  }
  const dashboard = `${gw.url}/${inspector ? `?inspect=${inspector.wsUrl}` : ''}`;
  const format: LogFormat = json ? 'json' : useColour(io) ? 'pretty' : 'plain';
  const logger = createLineLogger(format, io.stdout);
  const env = { BIGBRAIN_GATEWAY_URL: gw.url, BIGBRAIN_TOKEN: token ?? 'any-token' };
  if (json) {
    logger.log('info', 'listening', {
      url: gw.url,
      auth: token ? 'token' : 'none',
      env,
      mokuUrl: identity.issuer,
      stateDir: stateDir ?? null,
      dashboard,
      ...(inspector && { inspector: { page: inspector.pageUrl, url: inspector.wsUrl } }),
    });
  } else {
    const enroll = identityLines(identity.issuer, identity.verificationUri, stateDir);
    banner(io, gw.url, env, token !== undefined, dashboard, inspector, enroll);
  }
  const stopLogging = logGatewayEvents(gw, logger);
  const signal = io.watchSignals?.();
  await new Promise<void>((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.log('info', 'stopping', { reason: 'signal' });
  stopLogging();
  await gw.close();
  await inspector?.close();
  logger.log('info', 'stopped');
  return ExitCode.OK;
}

/** The static dev token: kept in the state folder so a restart does not change it. */
async function devToken(stateDir: string | undefined): Promise<string> {
  const made = `dev-${randomBytes(12).toString('base64url')}`;
  if (stateDir === undefined) return made;
  const state = await openState(stateDir);
  return (await state.createIfAbsent(DEV_TOKEN_FILE, { token: made })).token;
}

async function openState(stateDir: string): Promise<StateDir> {
  try {
    return await StateDir.open(stateDir);
  } catch (err) {
    throw new CliError(ExitCode.ERROR, (err as Error).message.replace(/^dev gateway: /, ''));
  }
}

interface StartOptions {
  host: string;
  port: number;
  token: string | undefined;
  stateDir: string | undefined;
  orgId: string | undefined;
  retryBackoff: RetryBackoff;
}

async function start(options: StartOptions): Promise<DevGateway> {
  const { host, port, token, stateDir, orgId, retryBackoff } = options;
  try {
    return await createDevGateway({
      host,
      port,
      retryBackoff,
      // A neuron that outlives this gateway ignores lease ids it has settled: a restarted
      // gateway numbering from l-1 again would see its first leases dropped until they expire.
      leaseIdPrefix: `l-${Date.now().toString(36)}-`,
      ...(token === undefined ? { acceptToken: () => true } : { token }),
      identity: orgId === undefined ? true : { orgId },
      ...(stateDir !== undefined && { stateDir }),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CliError(ExitCode.ERROR, err.message.replace(/^dev gateway: /, ''));
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(
        ExitCode.ERROR,
        `port ${port} on ${host} is in use (another \`neuron dev\`?); pick another with --port, or --port 0 for a free one`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw usage(
        `cannot listen on --host ${host} (${code}); use an address of this machine, e.g. 127.0.0.1`,
      );
    }
    if (code === 'EACCES') {
      throw new CliError(
        ExitCode.ERROR,
        `not allowed to listen on port ${port} (EACCES); use a port above 1023`,
      );
    }
    throw err;
  }
}

function banner(
  io: CliIo,
  url: string,
  env: Record<string, string>,
  auth: boolean,
  dashboard: string,
  inspector: InspectorServer | undefined,
  identity: string[],
): void {
  out(io, `neuron dev: reference gateway listening on ${url}`);
  out(io, '');
  for (const [name, value] of Object.entries(env)) out(io, `${name}=${value}`);
  out(io, '');
  if (!auth) out(io, '--no-auth: any bearer token is accepted.');
  out(io, 'Give a neuron the lines above (and a BIGBRAIN_NEURON_ID of your choice), then e.g.');
  out(io, `  npx neuron inject examples/echo --input '{"text":"hi"}' --wait --gateway ${url}`);
  for (const line of identity) out(io, line);
  out(io, `Dashboard: ${dashboard}`);
  out(io, `Dev API (no auth): ${url}/__dev__/  ·  Ctrl-C to stop`);
  out(io, '');
  if (!inspector) return;
  for (const line of inspectorHelp(inspector, dashboard)) out(io, line);
  out(io, '');
}

/** What `neuron enroll` needs, and where the state is kept. */
function identityLines(
  mokuUrl: string,
  verificationUri: string,
  stateDir: string | undefined,
): string[] {
  return [
    `Identity provider (--moku-url): ${mokuUrl}`,
    `  enroll a neuron: npx neuron enroll --moku-url ${mokuUrl} --name <name>`,
    `  let it in:       npx neuron approve <user-code>, or ${verificationUri}`,
    stateDir === undefined
      ? 'State: none (--ephemeral): a restart forgets enrolled neurons and the dev token'
      : `State: ${stateDir} (signing key, enrolled neurons, dev token)`,
  ];
}

/** `localhost`, `127.x.x.x`, `::1`: only this machine can reach them. */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}
