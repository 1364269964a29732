/**
 * AUTH.md §1: "`http://` is accepted for loopback hosts only." Shared by enrollment (Moku's URL and
 * every endpoint its metadata names) and the credential file reader (`token_endpoint`).
 */

/** `localhost`, 127.0.0.0/8 and `::1`: names that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `https:`, or `http:` to a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** Whether openid-client must be told to allow plain HTTP (only ever for loopback). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** A URL as it may appear in a message: no user info, query or fragment. */
export function showUrl(url: URL | string): string {
  const parsed = typeof url === 'string' ? URL.parse(url) : url;
  return parsed ? `${parsed.origin}${parsed.pathname}` : '(not a URL)';
}

/** `https://moku.example/` and `https://moku.example` are one issuer: "a trailing slash aside". */
export function sameIssuer(a: string, b: string): boolean {
  const strip = (value: string): string | undefined => URL.parse(value)?.href.replace(/\/+$/, '');
  const left = strip(a);
  return left !== undefined && left === strip(b);
}
