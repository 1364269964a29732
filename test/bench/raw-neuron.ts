/**
 * The raw baseline: a neuron client as fast as PROTOCOL.md allows in Node — undici `request()`
 * on one keep-alive Pool and eventsource-parser, nothing else. No actors, no validation, no
 * logging, no frame checks. It opens the stream, registers, runs each lease's handler at once
 * (within the same per-capability concurrency limit, FIFO beyond it), posts `ack` as soon as the
 * handler returns, heartbeats its running leases, and reconnects with the SDK's backoff
 * (equal jitter from `initialReconnectDelayMs`). Benchmark-only: no 401 handling, no outcome
 * retries, no cancel/revoke handling.
 */
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';

export interface RawNeuronOptions {
  gatewayUrl: string;
  neuronId: string;
  capabilityType: string;
  concurrency: number;
  /** Returns the output, or a promise of it. */
  handler: (input: unknown) => unknown;
  token?: string;
  heartbeatIntervalMs?: number;
  initialReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

interface Running {
  leaseId: string;
  taskId: string;
  startedAt: string;
}

interface Lease {
  leaseId: string;
  task: { taskId: string; input: unknown };
}

const POST_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };

export class RawNeuron {
  readonly #o: Required<RawNeuronOptions>;
  readonly #pool: Pool;
  readonly #postHeaders: Record<string, string>;
  readonly #running = new Map<string, Running>();
  #queue: Lease[] = [];
  #queueHead = 0;
  #stream: AbortController | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #sessionId: string | undefined;
  #lastEventId: string | undefined;
  #attempt = 0;
  #stopped = false;
  #onRegistered: (() => void)[] = [];

  constructor(options: RawNeuronOptions) {
    this.#o = {
      token: 'bench',
      heartbeatIntervalMs: 10_000,
      initialReconnectDelayMs: 500,
      maxReconnectDelayMs: 30_000,
      ...options,
    };
    this.#pool = new Pool(new URL(options.gatewayUrl).origin);
    this.#postHeaders = { ...POST_HEADERS, authorization: `Bearer ${this.#o.token}` };
  }

  get registered(): boolean {
    return this.#sessionId !== undefined;
  }

  /** Resolves at the next `registered` frame. */
  nextRegistration(): Promise<void> {
    return new Promise((resolve) => this.#onRegistered.push(resolve));
  }

  async start(): Promise<void> {
    const registered = this.nextRegistration();
    void this.#connect();
    await registered;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    clearInterval(this.#heartbeat);
    this.#stream?.abort();
    await this.#pool.destroy();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const controller = new AbortController();
    this.#stream = controller;
    const parser = createParser({ onEvent: (event) => this.#onEvent(event.data, event.id) });
    try {
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        authorization: `Bearer ${this.#o.token}`,
      };
      if (this.#lastEventId !== undefined) headers['last-event-id'] = this.#lastEventId;
      const res = await this.#pool.request({
        method: 'GET',
        path: `/neuron/events?neuronId=${encodeURIComponent(this.#o.neuronId)}`,
        headers,
        signal: controller.signal,
        bodyTimeout: 0,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`stream open answered ${res.statusCode}`);
      }
      void this.#post('register', {
        type: 'register',
        neuronId: this.#o.neuronId,
        protocolVersion: '1.1.0',
        sdk: { name: 'raw-bench', version: '0', language: 'typescript' },
        capabilities: [
          { type: this.#o.capabilityType, scope: 'any', concurrency: this.#o.concurrency },
        ],
      }).catch(() => controller.abort());
      const utf8 = new TextDecoder();
      for await (const chunk of res.body) parser.feed(utf8.decode(chunk, { stream: true }));
    } catch {
      // A refused or broken stream: back off below, like an ended one.
    }
    this.#sessionId = undefined;
    clearInterval(this.#heartbeat);
    if (this.#stopped) return;
    this.#attempt += 1;
    const ceiling = Math.min(
      this.#o.maxReconnectDelayMs,
      this.#o.initialReconnectDelayMs * 2 ** Math.min(this.#attempt - 1, 30),
    );
    const delay = Math.round(ceiling / 2 + (ceiling / 2) * Math.random());
    this.#reconnect = setTimeout(() => void this.#connect(), delay);
  }

  #onEvent(data: string, id: string | undefined): void {
    if (id !== undefined) this.#lastEventId = id;
    const frame = JSON.parse(data);
    switch (frame.type) {
      case 'lease':
        if (this.#running.has(frame.leaseId)) return;
        if (this.#running.size < this.#o.concurrency) this.#run(frame);
        else this.#queue.push(frame);
        return;
      case 'registered': {
        this.#sessionId = frame.sessionId;
        this.#attempt = 0;
        const interval = frame.heartbeatIntervalMs ?? this.#o.heartbeatIntervalMs;
        clearInterval(this.#heartbeat);
        this.#heartbeat = setInterval(() => this.#beat(), interval);
        for (const resolve of this.#onRegistered.splice(0)) resolve();
        return;
      }
      case 'disconnect':
        this.#stream?.abort();
        return;
    }
  }

  #run(lease: Lease): void {
    const { leaseId, task } = lease;
    const started = Date.now();
    this.#running.set(leaseId, {
      leaseId,
      taskId: task.taskId,
      startedAt: new Date(started).toISOString(),
    });
    let output: unknown;
    try {
      output = this.#o.handler(task.input);
    } catch (err) {
      this.#settle(lease, started, undefined, err);
      return;
    }
    if (output instanceof Promise) {
      output.then(
        (value) => this.#settle(lease, started, value),
        (err) => this.#settle(lease, started, undefined, err),
      );
    } else {
      this.#settle(lease, started, output);
    }
  }

  #settle(lease: Lease, started: number, output: unknown, error?: unknown): void {
    const base = { neuronId: this.#o.neuronId, leaseId: lease.leaseId, taskId: lease.task.taskId };
    const done =
      error === undefined
        ? this.#post('ack', {
            type: 'ack',
            ...base,
            output: output ?? null,
            durationMs: Date.now() - started,
          })
        : this.#post('nack', { type: 'nack', ...base, kind: 'retryable', reason: String(error) });
    // The slot frees when the handler returns; the next queued lease starts at once.
    this.#running.delete(lease.leaseId);
    if (this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead]!;
      this.#queueHead += 1;
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      }
      this.#run(next);
    }
    done.catch(() => {});
  }

  #beat(): void {
    const sessionId = this.#sessionId;
    if (sessionId === undefined) return;
    this.#post('heartbeat', {
      type: 'heartbeat',
      neuronId: this.#o.neuronId,
      sessionId,
      inFlight: [...this.#running.values()],
      sentAt: new Date().toISOString(),
    }).catch(() => {});
  }

  async #post(path: string, frame: object): Promise<void> {
    const res = await this.#pool.request({
      method: 'POST',
      path: `/neuron/${path}`,
      headers: this.#postHeaders,
      body: JSON.stringify(frame),
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`${path} answered ${res.statusCode}`);
  }
}
