/**
 * AUTH.md §1, discovery (RFC 8414): "`GET {mokuUrl}/.well-known/oauth-authorization-server`; on
 * 404, `GET {mokuUrl}/.well-known/openid-configuration`. The metadata's `issuer` must equal
 * `mokuUrl` (a trailing slash aside), or enrollment stops. […] `http://` is accepted for loopback
 * hosts only."
 */
import {
  allowInsecureRequests,
  type Configuration,
  type CustomFetch,
  customFetch,
  discovery,
  None,
} from 'openid-client';
import { EnrollmentError } from './errors.js';
import { type FailureSummary, safeCause, summarize } from './failure.js';
import { isLoopbackHttp, sameIssuer, showUrl } from './url.js';

/** AUTH.md §2 step 1: "`client_id=neuron-enrollment` (a public client)". */
export const ENROLLMENT_CLIENT_ID = 'neuron-enrollment';

const WELL_KNOWN = ['oauth-authorization-server', 'openid-configuration'] as const;
/** The endpoints enrollment uses; each must be present and as secure as Moku's own URL. */
const REQUIRED_ENDPOINTS = [
  'token_endpoint',
  'device_authorization_endpoint',
  'registration_endpoint',
] as const;

export interface Discovered {
  /** openid-client's view of Moku, as the public client `neuron-enrollment`. */
  config: Configuration;
  /** The metadata document that answered; registration reads it again (openid-client does). */
  metadataUrl: URL;
  issuer: string;
  tokenEndpoint: string;
  /** Plain HTTP to a loopback Moku: openid-client must be told to allow it. */
  loopbackHttp: boolean;
}

export interface DiscoverOptions {
  timeoutMs: number;
  /** Makes every request abortable (enroll's `signal`). */
  fetch?: CustomFetch | undefined;
}

export async function discover(mokuUrl: URL, options: DiscoverOptions): Promise<Discovered> {
  const loopbackHttp = isLoopbackHttp(mokuUrl);
  const base = mokuUrl.href.replace(/\/+$/, '');
  for (const name of WELL_KNOWN) {
    const metadataUrl = new URL(`${base}/.well-known/${name}`);
    let config: Configuration;
    try {
      // AUTH.md appends the well-known path to mokuUrl and compares issuers "a trailing slash
      // aside"; openid-client would insert it before a path (RFC 8414 §3) and compare exactly, so
      // it is handed the document's URL and the issuer is compared below.
      config = await discovery(metadataUrl, ENROLLMENT_CLIENT_ID, undefined, None(), {
        execute: loopbackHttp ? [allowInsecureRequests] : [],
        timeout: options.timeoutMs / 1000,
        ...(options.fetch ? { [customFetch]: options.fetch } : {}),
      });
    } catch (err) {
      const summary = summarize(err);
      if (summary.status === 404 && name === WELL_KNOWN[0]) continue;
      throw notAnAuthorizationServer(mokuUrl, summary);
    }
    return checked(mokuUrl, metadataUrl, config, loopbackHttp);
  }
  // Only reached when both documents answered 404: the loop `continue`s past the first.
  throw notAnAuthorizationServer(mokuUrl, { kind: 'http', status: 404, text: 'HTTP 404' });
}

function checked(
  mokuUrl: URL,
  metadataUrl: URL,
  config: Configuration,
  loopbackHttp: boolean,
): Discovered {
  const metadata = config.serverMetadata();
  if (!sameIssuer(metadata.issuer, mokuUrl.href)) {
    throw new EnrollmentError(
      'unreachable',
      `the metadata at ${showUrl(metadataUrl)} names the issuer ${showUrl(metadata.issuer)}, not ${showUrl(mokuUrl)}, so enrollment stopped: ` +
        "pass Moku's issuer URL exactly as --moku-url",
    );
  }
  for (const key of REQUIRED_ENDPOINTS) {
    const value = metadata[key];
    const url = typeof value === 'string' ? URL.parse(value) : null;
    if (!url) {
      throw new EnrollmentError(
        'unreachable',
        `${showUrl(mokuUrl)} is not an authorization server this SDK can enroll with: its metadata has no ${key}. ` +
          'Check --moku-url, or ask its operator to enable device authorization and client registration',
      );
    }
    if (url.protocol !== 'https:' && !(loopbackHttp && isLoopbackHttp(url))) {
      throw new EnrollmentError(
        'unreachable',
        `the ${key} of ${showUrl(mokuUrl)} is not an https URL (http is accepted for loopback hosts only): ` +
          "ask Moku's operator to publish https endpoints",
      );
    }
  }
  return {
    config,
    metadataUrl,
    issuer: metadata.issuer,
    tokenEndpoint: metadata.token_endpoint!,
    loopbackHttp,
  };
}

function notAnAuthorizationServer(mokuUrl: URL, summary: FailureSummary): EnrollmentError {
  const where = showUrl(mokuUrl);
  const message =
    summary.kind === 'network' || summary.kind === 'timeout'
      ? `could not reach Moku at ${where} (${summary.text}): check --moku-url and the network, then enroll again`
      : `${where} did not answer as an OAuth authorization server: neither ` +
        '/.well-known/oauth-authorization-server nor /.well-known/openid-configuration gave metadata ' +
        `(${summary.text}). Check --moku-url`;
  return new EnrollmentError('unreachable', message, { cause: safeCause(summary) });
}
