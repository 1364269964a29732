/**
 * A Stately inspector relay for `neuron dev --inspect` and `neuron demo --inspect`: neurons send
 * their inspection events to it over WebSocket (`createWebSocketInspector({ url })` from
 * `@statelyai/inspect`), and it relays them to every other client — the Stately inspector page it
 * serves, the dev dashboard, `createWebSocketReceiver` in a test.
 *
 * Why not `createInspectorServer` from `@statelyai/inspect/server`: in 0.7 it listens on every
 * interface (it has no host option), opens a browser by default, hard-codes `ws://localhost` in its
 * page (wrong with port 0), and its `stop()` leaves connected clients open. This one binds
 * `127.0.0.1` only, never opens anything, refuses WebSocket upgrades from web pages of other
 * origins (any site open in the browser could otherwise read the events), bounds its replay buffer
 * by bytes, and `close()` ends every socket.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

const INSPECTOR_HOST = '127.0.0.1';
/** Where the Stately inspector UI comes from (the page it serves embeds it). */
const STATELY_INSPECTOR_UI = 'https://stately.ai/inspect';

export interface InspectorServerOptions {
  /** `0` picks a free port. @default 0 */
  port?: number;
  /**
   * The most recent events kept (by total size) and replayed to each new client, so a page
   * opened late still sees the actors. @default 16 MiB
   */
  replayBytes?: number;
  /**
   * The dev gateway whose dashboard shows the relayed actors without internet (`neuron dev`):
   * the page links to it, for when the Stately UI cannot load.
   */
  dashboardUrl?: string;
}

export interface InspectorServer {
  /** The page to open in a browser: `http://127.0.0.1:PORT`. */
  readonly pageUrl: string;
  /** What a neuron's `createWebSocketInspector({ url })` takes: `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string;
  /** Clients connected now. */
  clientCount(): number;
  /** Ends every client and stops listening; a second call returns the same promise. */
  close(): Promise<void>;
}

/** Starts the relay on `127.0.0.1`. Never opens a browser. */
export async function startInspectorServer(
  options: InspectorServerOptions = {},
): Promise<InspectorServer> {
  const replayBytes = options.replayBytes ?? 16 * 1024 * 1024;
  let port = 0;
  const http = createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://x').pathname !== '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(bridgePage(`ws://${INSPECTOR_HOST}:${port}`, options.dashboardUrl));
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: 8 * 1024 * 1024,
    verifyClient: ({ origin }: { origin: string | undefined }) => isLocalOrigin(origin),
  });
  const replay: string[] = [];
  let replaySize = 0;
  wss.on('connection', (socket) => {
    for (const message of replay) socket.send(message);
    socket.on('error', () => socket.terminate());
    socket.on('message', (data, binary) => {
      if (binary) return;
      const message = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      replay.push(message);
      replaySize += message.length;
      while (replaySize > replayBytes && replay.length > 0) replaySize -= replay.shift()!.length;
      for (const client of wss.clients) {
        if (client !== socket && client.readyState === WebSocket.OPEN) client.send(message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, INSPECTOR_HOST, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    pageUrl: `http://${INSPECTOR_HOST}:${port}`,
    wsUrl: `ws://${INSPECTOR_HOST}:${port}`,
    clientCount: () => wss.clients.size,
    close() {
      closing ??= new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * No `Origin` (a Node client), or a page served from this machine's loopback (the bridge page,
 * the dev dashboard). A page from anywhere else is refused.
 */
export function isLocalOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    const { protocol, hostname } = new URL(origin);
    const local = hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
    return local && (protocol === 'http:' || protocol === 'https:');
  } catch {
    return false;
  }
}

/** How long the page waits for the Stately UI to say it is there before saying why it may not be. */
const STATELY_LOAD_MS = 5_000;

/**
 * The page that embeds the Stately inspector UI and feeds it what the relay receives — the same
 * bridge as `@statelyai/inspect/server`'s, pointed at this relay's own address. The UI comes from
 * stately.ai: offline the frame stays blank, so the page then points at the dev dashboard, which
 * shows the same actors from this relay without internet.
 */
function bridgePage(wsUrl: string, dashboardUrl: string | undefined): string {
  const dashboard = dashboardUrl && `${dashboardUrl}/?inspect=${wsUrl}`;
  const offline = dashboard
    ? `the <a href="${escapeHtml(dashboard)}">neuron dev dashboard</a> shows the live actors without it.`
    : `a <code>neuron dev</code> dashboard opened with <code>?inspect=${escapeHtml(wsUrl)}</code> shows the live actors without it.`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Stately inspector · neuron</title>
  <style>* { margin: 0; padding: 0; } html, body { height: 100%; } iframe { width: 100%; height: 100%; border: none; }
    #offline { position: fixed; left: 16px; right: 16px; top: 16px; padding: 10px 14px; border-radius: 8px;
      background: #fef3c7; color: #713f12; font: 14px system-ui, sans-serif; }</style>
</head>
<body>
  <p id="offline" hidden>The Stately inspector comes from stately.ai and has not loaded (offline?): ${offline}</p>
  <iframe id="inspector" src="${STATELY_INSPECTOR_UI}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const buffer = [];
    let connected = false;
    setTimeout(() => { if (!connected) document.getElementById('offline').hidden = false; }, ${STATELY_LOAD_MS});
    window.addEventListener('message', (e) => {
      if (e.data && e.data.type === '@statelyai.connected') {
        connected = true;
        document.getElementById('offline').hidden = true;
        for (const event of buffer) iframe.contentWindow.postMessage(event, '*');
        buffer.length = 0;
      }
    });
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (connected) iframe.contentWindow.postMessage(data, '*');
      else buffer.push(data);
    };
  </script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
