/**
 * The bench itself: spawns the gateway process and one neuron process per client (the SDK and
 * the raw baseline), runs each scenario's rounds alternately (SDK, raw, SDK, raw…) and returns
 * every figure with its medians and the SDK/raw ratio. `main.ts` prints and saves it; the smoke
 * test runs it tiny.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Remote } from './ipc.js';
import { max, median, percentile } from './stats.js';
import { type HandlerMode, NOOP_TYPE } from './workload.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));

export type ClientKind = 'sdk' | 'raw';
export const SCENARIOS = [
  'throughput',
  'latency',
  'validation',
  'memory',
  'flood',
  'reconnect',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  rounds: number;
  scenarios: readonly ScenarioName[];
  /** A small throughput round per client first, not counted. */
  warmup: number;
  throughput: { n: number; concurrency: number };
  latency: { n: number; perSecond: number; concurrency: number };
  validation: { n: number; perSecond: number; concurrency: number };
  memory: { n: number; heartbeatIntervalMs: number; heartbeats: number };
  /**
   * `small` then `large` leases (~8 KiB inputs each) leased at once to a neuron that runs
   * `concurrency` of them: the rest wait in its queue. The cost per lease must not grow with the
   * queue.
   */
  flood: { small: number; large: number; concurrency: number };
  reconnect: { initialReconnectDelayMs: number };
  /**
   * Which SDK the neuron process runs: `dist`, the package as published (built with
   * `tsconfig.build.json` first), or `source` through tsx, whose `keepNames` transform gives
   * every named function a dictionary-mode `name` (slower, ~2 KB more per lease).
   */
  sdk: 'dist' | 'source';
  /**
   * Pin the gateway to one core and the neuron processes to another (`taskset`, Linux), as the
   * issue asks: "two cores: one each". Without `taskset` or a second core, nothing is pinned.
   */
  pin: boolean;
  /** Write a V8 CPU profile of the SDK neuron process into this directory. */
  cpuProfDir?: string;
  /** Write a heap snapshot of each neuron process at full memory load into this directory. */
  heapSnapshotDir?: string;
  /** Progress lines (a round's figures as they come). */
  log?: (line: string) => void;
}

export const FULL: Omit<BenchConfig, 'scenarios'> = {
  sdk: 'dist',
  pin: true,
  rounds: 5,
  warmup: 2_000,
  throughput: { n: 20_000, concurrency: 64 },
  latency: { n: 2_000, perSecond: 200, concurrency: 64 },
  validation: { n: 1_000, perSecond: 200, concurrency: 64 },
  memory: { n: 10_000, heartbeatIntervalMs: 1_000, heartbeats: 2 },
  flood: { small: 500, large: 5_000, concurrency: 4 },
  reconnect: { initialReconnectDelayMs: 500 },
};

export const QUICK: Omit<BenchConfig, 'scenarios'> = {
  sdk: 'dist',
  pin: true,
  rounds: 2,
  warmup: 1_000,
  throughput: { n: 5_000, concurrency: 64 },
  latency: { n: 400, perSecond: 200, concurrency: 64 },
  validation: { n: 200, perSecond: 200, concurrency: 64 },
  memory: { n: 2_000, heartbeatIntervalMs: 500, heartbeats: 1 },
  flood: { small: 500, large: 5_000, concurrency: 4 },
  reconnect: { initialReconnectDelayMs: 500 },
};

/** One measured quantity: every round's value per client. */
export interface Metric {
  scenario: string;
  name: string;
  unit: string;
  sdk: number[];
  raw: number[];
}

export interface Target {
  description: string;
  met: boolean;
}

export interface MetricSummary extends Metric {
  sdkMedian: number;
  rawMedian: number;
  ratio: number;
  target?: Target;
}

export interface MachineInfo {
  nproc: number;
  cpu: string;
  node: string;
  platform: string;
  loadavgStart: number[];
  loadavgEnd: number[];
  /** A 1-minute load average above half the cores at the start or the end. */
  busy: boolean;
  /** Where the processes ran: `gateway: CPU 0, neurons: CPU 1`, or `not pinned (…)`. */
  placement: string;
}

export interface BenchResult {
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  config: Omit<BenchConfig, 'log'>;
  metrics: MetricSummary[];
}

type Neurons = Record<ClientKind, Remote>;

const neuronIdOf = (kind: ClientKind): string => `bench-${kind}`;

function spawnChild(
  script: string,
  args: string[],
  execArgv: string[],
  name: string,
  core: string | undefined,
): Remote {
  const argv = [...execArgv, '--import', 'tsx', `${HERE}${script}`, ...args];
  // `taskset` execs node in place: the child (its pid, its IPC channel) is node's.
  const [command, commandArgs] =
    core === undefined
      ? [process.execPath, argv]
      : ['taskset', ['-c', core, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Remote(name, child);
}

/** The cores for the gateway and the neurons, or why there are none. */
function placement(pin: boolean): { gateway?: string; neuron?: string; text: string } {
  if (!pin) return { text: 'not pinned (--no-pin)' };
  if (availableParallelism() < 2) return { text: 'not pinned (one core)' };
  const probe = spawnSync('taskset', ['-c', '0', process.execPath, '-e', ''], { stdio: 'ignore' });
  if (probe.status !== 0) return { text: 'not pinned (no taskset)' };
  return { gateway: '0', neuron: '1', text: 'gateway: CPU 0, neurons: CPU 1 (taskset)' };
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Compile the package as `npm run build` does; returns its entry point. */
function buildSdk(): string {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) {
    throw new Error(`bench: building the SDK failed:\n${built.stdout}${built.stderr}`);
  }
  return `${ROOT}dist/src/index.js`;
}

export async function runBench(config: BenchConfig): Promise<BenchResult> {
  const log = config.log ?? (() => {});
  const startedAt = new Date();
  const loadavgStart = loadavg();
  const profile = config.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${config.cpuProfDir}`] : [];
  if (config.cpuProfDir) mkdirSync(config.cpuProfDir, { recursive: true });
  if (config.heapSnapshotDir) mkdirSync(config.heapSnapshotDir, { recursive: true });
  const cores = placement(config.pin);
  const gateway = spawnChild('gateway-process.ts', [], [], 'gateway', cores.gateway);
  const neurons: Neurons = {
    sdk: spawnChild(
      'neuron-process.ts',
      config.sdk === 'dist' ? ['sdk', buildSdk()] : ['sdk'],
      ['--expose-gc', ...profile],
      'sdk neuron',
      cores.neuron,
    ),
    raw: spawnChild('neuron-process.ts', ['raw'], ['--expose-gc'], 'raw neuron', cores.neuron),
  };
  const metrics = new Map<string, Metric>();
  const record = (scenario: string, name: string, unit: string, kind: ClientKind, v: number) => {
    const key = `${scenario}/${name}`;
    let metric = metrics.get(key);
    if (!metric) {
      metric = { scenario, name, unit, sdk: [], raw: [] };
      metrics.set(key, metric);
    }
    metric[kind].push(v);
  };
  const run = new Runner(gateway, neurons, config, record);
  try {
    if (config.warmup > 0) {
      for (const kind of ['sdk', 'raw'] as const) await run.throughput(kind, config.warmup, false);
      log(`warm-up: ${config.warmup} leases per client`);
    }
    for (const scenario of config.scenarios) {
      for (let round = 1; round <= config.rounds; round++) {
        for (const kind of ['sdk', 'raw'] as const) {
          const figures = await run.scenario(scenario, kind, round);
          log(`${scenario} round ${round} ${kind}: ${figures}`);
        }
      }
    }
  } finally {
    await Promise.all([gateway.kill(), neurons.sdk.kill(), neurons.raw.kill()]);
  }
  const loadavgEnd = loadavg();
  const nproc = availableParallelism();
  const machine: MachineInfo = {
    nproc,
    cpu: cpuModel(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavgStart,
    loadavgEnd,
    busy: Math.max(loadavgStart[0]!, loadavgEnd[0]!) > nproc / 2,
    placement: cores.text,
  };
  const { log: _log, ...rest } = config;
  return {
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    machine,
    config: rest,
    metrics: [...metrics.values()].map((m) => summarize(m, config)),
  };
}

function summarize(metric: Metric, config: BenchConfig): MetricSummary {
  const sdkMedian = median(metric.sdk);
  const rawMedian = median(metric.raw);
  const summary: MetricSummary = { ...metric, sdkMedian, rawMedian, ratio: sdkMedian / rawMedian };
  const target = targetOf(summary, config);
  return target ? { ...summary, target } : summary;
}

/** The targets (issue 16), as reported (never enforced). */
function targetOf(m: MetricSummary, config: BenchConfig): Target | undefined {
  const key = `${m.scenario}/${m.name}`;
  if (key === 'throughput/throughput') {
    return { description: 'sdk ≥ 0.5 × raw', met: m.ratio >= 0.5 };
  }
  if (key === 'throughput/cpu per lease') {
    return { description: 'sdk ≤ 2.5 × raw', met: m.ratio <= 2.5 };
  }
  if (m.name === 'p99' && (m.scenario === 'latency' || m.scenario.startsWith('validation'))) {
    return { description: 'sdk ≤ raw + 3 ms', met: m.sdkMedian <= m.rawMedian + 3 };
  }
  if (key === 'memory/heap beyond payload') {
    return { description: 'sdk ≤ 5120 B', met: m.sdkMedian <= 5120 };
  }
  if (key === 'memory/event-loop delay max') {
    return { description: 'sdk ≤ 1.5 × raw', met: m.ratio <= 1.5 };
  }
  if (key === `flood/${floodGrowth('cpu', config)}`) {
    return { description: 'sdk ≤ 1.10', met: m.sdkMedian <= 1.1 };
  }
  if (key === 'reconnect/re-registered') {
    const limit = config.reconnect.initialReconnectDelayMs + 100;
    return { description: `sdk worst ≤ ${limit} ms`, met: max(m.sdk) <= limit };
  }
  return undefined;
}

/** The flood's growth metric: per-lease cost with the large queue over that with the small one. */
function floodGrowth(what: 'cpu' | 'wall', config: BenchConfig): string {
  return `${what} per lease ${config.flood.large}/${config.flood.small}`;
}

/** What one bulk run cost: leases/s at the gateway, and µs of neuron CPU and wall per lease. */
interface BulkCost {
  perSecond: number;
  cpuUs: number;
  wallUs: number;
}

type Record5 = (scenario: string, name: string, unit: string, kind: ClientKind, v: number) => void;

/** One round of each scenario, for one client. Returns a one-line summary of what it measured. */
class Runner {
  readonly #gw: Remote;
  readonly #neurons: Neurons;
  readonly #config: BenchConfig;
  readonly #record: Record5;
  readonly #payload = new Map<ClientKind, number>();

  constructor(gateway: Remote, neurons: Neurons, config: BenchConfig, record: Record5) {
    this.#gw = gateway;
    this.#neurons = neurons;
    this.#config = config;
    this.#record = record;
  }

  /** Every task must end acked: a nack (a schema mismatch…) would time the wrong thing. */
  #checkAcked(kind: ClientKind, scenario: string, failed: number): void {
    if (failed > 0) throw new Error(`bench: ${failed} ${scenario} tasks of ${kind} were not acked`);
  }

  scenario(name: ScenarioName, kind: ClientKind, round: number): Promise<string> {
    switch (name) {
      case 'throughput':
        return this.throughput(kind, this.#config.throughput.n, true);
      case 'latency':
        return this.latency('latency', 'noop', kind, this.#config.latency);
      case 'validation':
        return this.validation(kind);
      case 'memory':
        return this.memory(kind, round);
      case 'flood':
        return this.flood(kind, round);
      case 'reconnect':
        return this.reconnect(kind);
    }
  }

  async #connect(
    kind: ClientKind,
    mode: HandlerMode,
    concurrency: number,
    gatewayArgs: object = {},
    extra: object = {},
  ): Promise<Remote> {
    const { url } = await this.#gw.call<{ url: string }>('start', gatewayArgs);
    const neuron = this.#neurons[kind];
    await neuron.call('connect', {
      url,
      neuronId: neuronIdOf(kind),
      mode,
      concurrency,
      ...extra,
    });
    return neuron;
  }

  /**
   * `n` tasks submitted at once to a connected neuron, until all are settled; the neuron's CPU
   * time is read just before and just after, so it covers the run and (IPC aside) nothing else.
   * The neuron stays connected.
   */
  async #bulk(kind: ClientKind, neuron: Remote, mode: HandlerMode, n: number): Promise<BulkCost> {
    const cpu0 = await neuron.call<{ us: number }>('cpu');
    const { perSecond, elapsedMs, failed } = await this.#gw.call<{
      perSecond: number;
      elapsedMs: number;
      failed: number;
    }>('bulk', { mode, n, timeoutMs: 300_000 });
    const cpu1 = await neuron.call<{ us: number }>('cpu');
    this.#checkAcked(kind, mode, failed);
    return { perSecond, cpuUs: (cpu1.us - cpu0.us) / n, wallUs: (elapsedMs * 1000) / n };
  }

  async throughput(kind: ClientKind, n: number, counted: boolean): Promise<string> {
    const neuron = await this.#connect(kind, 'noop', this.#config.throughput.concurrency);
    const { perSecond, cpuUs } = await this.#bulk(kind, neuron, 'noop', n);
    await neuron.call('stop');
    if (counted) {
      this.#record('throughput', 'throughput', 'leases/s', kind, perSecond);
      this.#record('throughput', 'cpu per lease', 'µs', kind, cpuUs);
    }
    return `${perSecond.toFixed(0)} leases/s, ${cpuUs.toFixed(0)} µs CPU per lease`;
  }

  /**
   * Both queue sizes, for one client: the per-lease cost of each (neuron CPU, and wall time from
   * the first lease sent to the last ack) and how much it grew from the small queue to the
   * large one. Odd rounds run the small queue first, even rounds the large one, so neither
   * always runs on the other's leftover garbage or JIT state.
   *
   * Each size runs on a client warmed by an untimed small flood first, its garbage collected:
   * a fresh client's first burst opens its POST connections and compiles its code, a cost per
   * run, not per lease, that would weigh ten times more on the small queue and hide a growth.
   */
  async flood(kind: ClientKind, round: number): Promise<string> {
    const { small, large, concurrency } = this.#config.flood;
    const cost = new Map<number, BulkCost>();
    for (const n of round % 2 === 1 ? [small, large] : [large, small]) {
      const neuron = await this.#connect(kind, 'flood', concurrency);
      await this.#gw.call('dispatchUpTo', {
        neuronId: neuronIdOf(kind),
        capabilityType: NOOP_TYPE,
        concurrency: n,
      });
      await this.#bulk(kind, neuron, 'flood', small);
      await neuron.call('memory');
      cost.set(n, await this.#bulk(kind, neuron, 'flood', n));
      await neuron.call('stop');
    }
    const a = cost.get(small)!;
    const b = cost.get(large)!;
    this.#record('flood', `cpu per lease, ${small} queued`, 'µs', kind, a.cpuUs);
    this.#record('flood', `cpu per lease, ${large} queued`, 'µs', kind, b.cpuUs);
    this.#record('flood', floodGrowth('cpu', this.#config), '×', kind, b.cpuUs / a.cpuUs);
    this.#record('flood', `wall per lease, ${small} queued`, 'µs', kind, a.wallUs);
    this.#record('flood', `wall per lease, ${large} queued`, 'µs', kind, b.wallUs);
    this.#record('flood', floodGrowth('wall', this.#config), '×', kind, b.wallUs / a.wallUs);
    return (
      `CPU ${a.cpuUs.toFixed(0)} → ${b.cpuUs.toFixed(0)} µs per lease (×${(b.cpuUs / a.cpuUs).toFixed(2)}), ` +
      `wall ${a.wallUs.toFixed(0)} → ${b.wallUs.toFixed(0)} µs per lease (×${(b.wallUs / a.wallUs).toFixed(2)})`
    );
  }

  async latency(
    scenario: string,
    mode: HandlerMode,
    kind: ClientKind,
    { n, perSecond, concurrency }: { n: number; perSecond: number; concurrency: number },
  ): Promise<string> {
    const neuron = await this.#connect(kind, mode, concurrency);
    const { latencies, failed } = await this.#gw.call<{ latencies: number[]; failed: number }>(
      'rate',
      { mode, n, perSecond, timeoutMs: 120_000 },
    );
    await neuron.call('stop');
    this.#checkAcked(kind, scenario, failed);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const worst = max(latencies);
    this.#record(scenario, 'p50', 'ms', kind, p50);
    this.#record(scenario, 'p99', 'ms', kind, p99);
    this.#record(scenario, 'max', 'ms', kind, worst);
    return `p50 ${p50.toFixed(2)} p99 ${p99.toFixed(2)} max ${worst.toFixed(2)} ms`;
  }

  async validation(kind: ClientKind): Promise<string> {
    const ajv = await this.latency('validation (ajv)', 'ajv', kind, this.#config.validation);
    const zod = await this.latency('validation (zod)', 'zod', kind, this.#config.validation);
    return `ajv ${ajv}; zod ${zod}`;
  }

  async memory(kind: ClientKind, round: number): Promise<string> {
    const { n, heartbeatIntervalMs, heartbeats } = this.#config.memory;
    const neuron = await this.#connect(kind, 'park', n, { heartbeatIntervalMs });
    let payload = this.#payload.get(kind);
    if (payload === undefined) {
      const frame = JSON.stringify({
        type: 'lease',
        leaseId: 'l-12345',
        capabilityType: 'bench/noop',
        task: { taskId: 't-12345', input: { i: 12345 }, attempt: 1 },
        expiresAt: new Date().toISOString(),
      });
      ({ bytesPerLease: payload } = await neuron.call<{ bytesPerLease: number }>('payload', {
        n,
        frame,
      }));
      this.#payload.set(kind, payload);
    }
    const before = await neuron.call<{ heapUsed: number; rss: number }>('memory');
    const t0 = performance.now();
    await this.#gw.call('submit', { mode: 'park', n });
    await neuron.call('waitParked', { n }, 300_000);
    const parkMs = performance.now() - t0;
    const after = await neuron.call<{ heapUsed: number; rss: number }>('memory');
    if (this.#config.heapSnapshotDir && round === 1) {
      await neuron.call('heapSnapshot', { dir: this.#config.heapSnapshotDir }, 300_000);
    }
    const { heartbeats: beats } = await this.#gw.call<{
      heartbeats: { bytes: number; inFlight: number }[];
    }>('heartbeats', {
      count: heartbeats,
      minInFlight: n,
      timeoutMs: heartbeatIntervalMs * (heartbeats + 2) + 30_000,
    });
    // The gateway has the heartbeat before the neuron has timed its answer: wait for the timing.
    let measured: { times: number[]; loopDelayMaxMs: number } = { times: [], loopDelayMaxMs: 0 };
    for (let tries = 0; tries < 100 && measured.times.length === 0; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      measured = await neuron.call<{ times: number[]; loopDelayMaxMs: number }>('heartbeats');
    }
    const { times, loopDelayMaxMs } = measured;
    await neuron.call('release');
    const { failed } = await this.#gw.call<{ failed: number }>(
      'waitSettled',
      { n, timeoutMs: 300_000 },
      310_000,
    );
    await neuron.call('stop');
    this.#checkAcked(kind, 'memory', failed);
    const heap = (after.heapUsed - before.heapUsed) / n;
    const rss = (after.rss - before.rss) / n;
    const bytes = median(beats.map((b) => b.bytes));
    const beatMs = median(times);
    this.#record('memory', 'heap per lease', 'B', kind, heap);
    this.#record('memory', 'heap beyond payload', 'B', kind, heap - payload);
    this.#record('memory', 'rss per lease', 'B', kind, rss);
    this.#record('memory', `park ${n} leases`, 'ms', kind, parkMs);
    this.#record('memory', 'heartbeat size', 'B', kind, bytes);
    this.#record('memory', 'heartbeat POST', 'ms', kind, beatMs);
    this.#record('memory', 'event-loop delay max', 'ms', kind, loopDelayMaxMs);
    return (
      `heap ${heap.toFixed(0)} B/lease (payload ${payload.toFixed(0)}), rss ${rss.toFixed(0)} B/lease, ` +
      `park ${parkMs.toFixed(0)} ms, heartbeat ${bytes} B in ${beatMs.toFixed(1)} ms, ` +
      `loop delay max ${loopDelayMaxMs.toFixed(1)} ms`
    );
  }

  async reconnect(kind: ClientKind): Promise<string> {
    const { initialReconnectDelayMs } = this.#config.reconnect;
    const neuron = await this.#connect(kind, 'noop', 1, {}, { initialReconnectDelayMs });
    const { registeredAfterMs, downMs } = await this.#gw.call<{
      registeredAfterMs: number;
      downMs: number;
    }>('restart', { timeoutMs: initialReconnectDelayMs * 4 + 5_000 });
    await neuron.call('stop');
    this.#record('reconnect', 're-registered', 'ms', kind, registeredAfterMs);
    return `re-registered ${registeredAfterMs.toFixed(0)} ms after the gateway was back (down ${downMs.toFixed(0)} ms)`;
  }
}
