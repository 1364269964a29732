/**
 * The live dashboard at `/` of the dev gateway: a console for neurons, tasks, leases and the lease
 * machine, fed by the `/__dev__/…` API. Static answers, built once; the page loads nothing from
 * outside the gateway (its Content-Security-Policy says so), except a WebSocket to an inspector
 * relay on loopback when the page is opened with `?inspect=ws://127.0.0.1:PORT`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { leaseMachine } from '../../../machines/lease.js';
import { CONSOLE_JS } from './client-console.js';
import { CORE_JS } from './client-core.js';
import { DETAIL_JS } from './client-detail.js';
import { INSPECT_JS } from './client-inspect.js';
import { TASKS_JS } from './client-tasks.js';
import { machineDiagram } from './diagram.js';
import { IDENTITY_JS } from './identity-client.js';
import { dashboardHtml } from './page.js';
import { DASHBOARD_CSS } from './styles.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The chunks share one function scope, in this order (each uses what the ones before define). */
const DASHBOARD_JS = [
  "'use strict';\n(() => {",
  CORE_JS,
  INSPECT_JS,
  TASKS_JS,
  DETAIL_JS,
  CONSOLE_JS,
  '  route();\n  connect();\n})();\n',
].join('\n');

interface Asset {
  type: string;
  body: string;
}

let assets: Map<string, Asset> | undefined;

/** Built on first use: the diagram is drawn from the lease machine's definition. */
function dashboardAssets(): Map<string, Asset> {
  if (assets) return assets;
  const page = { type: 'text/html', body: dashboardHtml(machineDiagram(leaseMachine)) };
  assets = new Map([
    ['/', page],
    // The device flow's verification_uri: the same page, its Identity panel first.
    ['/device', page],
    ['/__dashboard__/dashboard.js', { type: 'text/javascript', body: DASHBOARD_JS }],
    ['/__dashboard__/identity.js', { type: 'text/javascript', body: IDENTITY_JS }],
    ['/__dashboard__/dashboard.css', { type: 'text/css', body: DASHBOARD_CSS }],
  ]);
  return assets;
}

/** Whether `pathname` is one of the dashboard's: `/`, `/device` or `/__dashboard__/…`. */
export function isDashboardPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/device' || pathname.startsWith('/__dashboard__/');
}

/** Answers a dashboard request (GET or HEAD). */
export function serveDashboard(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const asset = dashboardAssets().get(url.pathname);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
    res.end(`${url.pathname} takes GET\n`);
    return;
  }
  if (!asset) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end(`no dashboard file ${url.pathname}\n`);
    return;
  }
  res.writeHead(200, {
    'Content-Type': `${asset.type}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(asset.body),
    'Cache-Control': 'no-store',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}
