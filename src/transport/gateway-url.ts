/**
 * `gatewayUrl` → the base every endpoint hangs off. PROTOCOL.md "Transport": "`gatewayUrl` is a
 * base URL; a trailing slash is tolerated." A base path is kept: `https://h/x/` serves
 * `https://h/x/neuron/events`.
 */
import { ConfigError } from '../errors.js';

/**
 * Validates `gatewayUrl` and returns its base, always ending in `/`. Plain `http:` is refused
 * for anything but a loopback host unless `allowInsecure` is set: the bearer token would travel
 * in clear text.
 */
export function resolveGatewayBase(gatewayUrl: unknown, allowInsecure: boolean): string {
  if (typeof gatewayUrl !== 'string' || !URL.canParse(gatewayUrl)) {
    throw invalid(
      'gatewayUrl must be an absolute http(s) URL such as "https://gateway.example.com"',
    );
  }
  const url = new URL(gatewayUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`gatewayUrl must use https: (or http: to a loopback host), not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw invalid(
      'gatewayUrl must not carry a user name or password; supply credentials through the auth callback',
    );
  }
  if (url.search || url.hash) {
    throw invalid('gatewayUrl is a base URL and must not carry a query string or fragment');
  }
  if (url.protocol === 'http:' && !allowInsecure && !isLoopback(url.hostname)) {
    throw invalid(
      `gatewayUrl uses http:// to the non-loopback host ${url.hostname}, which would send the ` +
        'bearer token in clear text; use https://, or set allowInsecure: true on a trusted network',
    );
  }
  return url.pathname.endsWith('/') ? url.href : `${url.href}/`;
}

/**
 * localhost, 127.0.0.0/8 and ::1. `URL` has already normalised the host: IPv4 in any notation
 * becomes dotted quads, IPv6 is compressed and bracketed.
 */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function invalid(message: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_OPTIONS', message);
}
