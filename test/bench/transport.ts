// Run: `npx tsx test/bench/transport.ts [n] [rounds]` (20 000 POSTs, 5 rounds by default).
/**
 * The SDK's POST path against a raw undici POST, for the same work: `n` ack-sized frames posted
 * with 64 in flight, through (a) `HttpTransport.post('ack', frame)` and (b) undici `request()` on
 * a keep-alive Pool with `JSON.stringify` and the body read, alternating rounds. The server (200
 * `{}`) runs in a child process, so `process.cpuUsage()` counts the client's CPU alone. Prints µs
 * of CPU per POST and POSTs/s (medians over the rounds) and `transport ratio sdk/raw: x.xx`, the
 * ratio of CPU per POST.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { HttpTransport } from '../../src/transport/http-transport.js';
import { median } from './stats.js';

if (process.argv.includes('--server')) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.((server.address() as AddressInfo).port);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const n = Number(args[0] ?? 20_000);
  const rounds = Number(args[1] ?? 5);
  const concurrency = 64;

  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: ['--import', 'tsx'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve(Number(m))),
  );
  const url = `http://127.0.0.1:${port}`;

  const transport = new HttpTransport({ gatewayUrl: url, neuronId: 'bench', auth: () => 'bench' });
  const pool = new Pool(url);
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    authorization: 'Bearer bench',
  };
  const frame = (i: number) => ({
    type: 'ack' as const,
    neuronId: 'bench',
    leaseId: `lease-${i}`,
    taskId: `task-${i}`,
    output: null,
    durationMs: 1,
  });
  const clients = {
    sdk: async (i: number) => {
      await transport.post('ack', frame(i));
    },
    raw: async (i: number) => {
      const res = await pool.request({
        method: 'POST',
        path: '/neuron/ack',
        headers,
        body: JSON.stringify(frame(i)),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200 || text !== '{}') throw new Error(`answered ${res.statusCode}`);
    },
  };

  interface Figures {
    cpuUs: number;
    perSecond: number;
  }

  async function round(post: (i: number) => Promise<void>, count: number): Promise<Figures> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) await post(next++);
    };
    const cpu = process.cpuUsage();
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { cpuUs: (used.user + used.system) / count, perSecond: (count / wall) * 1000 };
  }

  // Warm-up: JIT, sockets.
  await round(clients.sdk, Math.min(n, 5_000));
  await round(clients.raw, Math.min(n, 5_000));
  const figures: Record<'sdk' | 'raw', Figures[]> = { sdk: [], raw: [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of ['sdk', 'raw'] as const) {
      globalThis.gc?.();
      figures[name].push(await round(clients[name], n));
    }
  }
  const summary = (name: 'sdk' | 'raw'): Figures => ({
    cpuUs: median(figures[name].map((f) => f.cpuUs)),
    perSecond: median(figures[name].map((f) => f.perSecond)),
  });
  const sdk = summary('sdk');
  const raw = summary('raw');
  for (const [name, f] of [
    ['sdk', sdk],
    ['raw', raw],
  ] as const) {
    console.log(
      `${name}: ${f.cpuUs.toFixed(1)} µs CPU per POST, ${Math.round(f.perSecond)} POSTs/s ` +
        `(rounds: ${figures[name].map((x) => x.cpuUs.toFixed(1)).join(', ')} µs)`,
    );
  }
  console.log(`transport ratio sdk/raw: ${(sdk.cpuUs / raw.cpuUs).toFixed(2)}`);
  await transport.close();
  await pool.destroy();
  child.disconnect();
}
