/**
 * AUTH.md §2, enrollment: discovery (§1), device authorization and polling (RFC 8628), client
 * registration (RFC 7591) with the device-flow access token as the initial access token, then the
 * credential file (§3). Every failure is an `EnrollmentError` whose `exitCode` the CLI exits with.
 */
import {
  allowInsecureRequests,
  ClientSecretBasic,
  type CustomFetch,
  customFetch,
  dynamicClientRegistration,
} from 'openid-client';
import {
  type CredentialFile,
  credentialFileExists,
  ensureCredentialFolder,
  writeCredentialFile,
} from './credential-file.js';
import { pollForAccessToken, protocolError, requestDeviceCode } from './device-flow.js';
import { type Discovered, discover } from './discovery.js';
import { type EnrollOptions, type Resolved, resolveOptions } from './enroll-options.js';
import { EnrollmentError } from './errors.js';
import { safeCause, summarize } from './failure.js';
import { sameIssuer } from './url.js';

export type { PollInfo } from './device-flow.js';
export type { EnrollOptions, VerificationInfo } from './enroll-options.js';

/** AUTH.md: "tokens for it carry `aud` = `bigbrain`". */
const AUDIENCE = 'bigbrain';
/** AUTH.md §2 step 1. */
const ENROLL_SCOPE = 'neuron:enroll';

/** The enrolled identity. The client secret is only in the file. */
export interface EnrollResult {
  credentialsFile: string;
  clientId: string;
  issuer: string;
  tokenEndpoint: string;
  audience: string;
  name: string;
  capabilities: string[];
  enrolledAt: string;
}

/** Enrolls this machine with Moku and writes its credential file (AUTH.md §2). */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const o = resolveOptions(options);
  const { signal } = o;
  try {
    // Before the admin is asked anything: a refusal afterwards would waste their approval.
    await checkTarget(o);
    const fetchWithSignal = signal ? abortable(signal) : undefined;
    const moku = await discover(o.mokuUrl, { timeoutMs: o.timeoutMs, fetch: fetchWithSignal });

    const startedAt = Date.now();
    const authorization = await requestDeviceCode(moku.config, {
      scope: ENROLL_SCOPE,
      client_name: o.name,
      ...(o.capabilities.length > 0 ? { capabilities: o.capabilities.join(',') } : {}),
    });
    o.onVerification({
      verificationUri: authorization.verification_uri,
      ...(authorization.verification_uri_complete
        ? { verificationUriComplete: authorization.verification_uri_complete }
        : {}),
      userCode: authorization.user_code,
      expiresIn: authorization.expires_in,
    });
    const accessToken = await pollForAccessToken(moku.config, authorization, {
      scale: o.scale,
      startedAt,
      signal,
      onPoll: o.onPoll,
    });

    const { clientId, clientSecret } = await register(moku, o, accessToken, fetchWithSignal);
    const credential: CredentialFile = {
      version: 1,
      issuer: moku.issuer,
      token_endpoint: moku.tokenEndpoint,
      client_id: clientId,
      client_secret: clientSecret,
      audience: AUDIENCE,
      name: o.name,
      capabilities: o.capabilities,
      enrolled_at: new Date().toISOString(),
    };
    await write(o, credential);
    return {
      credentialsFile: o.credentialsFile,
      clientId,
      issuer: credential.issuer,
      tokenEndpoint: credential.token_endpoint,
      audience: AUDIENCE,
      name: o.name,
      capabilities: o.capabilities,
      enrolledAt: credential.enrolled_at!,
    };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}

/**
 * Step 4: "With the access token from step 3 as the initial access token […] `POST
 * registration_endpoint`". openid-client reads the metadata again from the document that answered.
 */
async function register(
  moku: Discovered,
  o: Resolved,
  accessToken: string,
  fetchWithSignal: CustomFetch | undefined,
): Promise<{ clientId: string; clientSecret: string }> {
  try {
    const registered = await dynamicClientRegistration(
      moku.metadataUrl,
      {
        client_name: o.name,
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        capabilities: o.capabilities,
      },
      ClientSecretBasic(),
      {
        initialAccessToken: accessToken,
        execute: moku.loopbackHttp ? [allowInsecureRequests] : [],
        timeout: o.timeoutMs / 1000,
        ...(fetchWithSignal ? { [customFetch]: fetchWithSignal } : {}),
      },
    );
    const client = registered.clientMetadata();
    const secret = client.client_secret;
    if (!sameIssuer(registered.serverMetadata().issuer, moku.issuer)) {
      throw new EnrollmentError(
        'protocol',
        `Moku's metadata changed issuer during enrollment: enroll again`,
      );
    }
    if (typeof secret !== 'string' || secret === '') {
      throw protocolError('client registration', {
        kind: 'invalid-response',
        text: 'the answer has no client_secret',
      });
    }
    return { clientId: client.client_id, clientSecret: secret };
  } catch (err) {
    if (err instanceof EnrollmentError) throw err;
    const summary = summarize(err, [accessToken]);
    if (summary.kind === 'network' || summary.kind === 'timeout') {
      throw new EnrollmentError(
        'unreachable',
        `the enrollment was approved, but Moku's registration endpoint could not be reached (${summary.text}): enroll again`,
        { cause: safeCause(summary) },
      );
    }
    throw protocolError('client registration', summary);
  }
}

/** AUTH.md §2 step 5: "An existing file is not overwritten without `--force`." */
async function checkTarget(o: Resolved): Promise<void> {
  let found: boolean;
  try {
    found = await credentialFileExists(o.credentialsFile);
    await ensureCredentialFolder(o.credentialsFile);
  } catch (err) {
    throw unwritable(o.credentialsFile, err);
  }
  if (found && !o.force) throw exists(o.credentialsFile);
}

async function write(o: Resolved, credential: CredentialFile): Promise<void> {
  try {
    // Checked again: another enrollment may have written the file while this one waited.
    if (!o.force && (await credentialFileExists(o.credentialsFile))) {
      throw exists(o.credentialsFile);
    }
    await writeCredentialFile(o.credentialsFile, credential);
  } catch (err) {
    if (err instanceof EnrollmentError) throw err;
    throw unwritable(o.credentialsFile, err, credential.client_id);
  }
}

function exists(path: string): EnrollmentError {
  return new EnrollmentError(
    'exists',
    `a credential file already exists at ${path}: pass --force (force: true) to replace it, or choose another --credentials-file`,
  );
}

function unwritable(path: string, err: unknown, clientId?: string): EnrollmentError {
  const code = (err as { code?: unknown }).code;
  const why = typeof code === 'string' ? code : 'unknown error';
  const lost = clientId
    ? ` The client ${clientId} was registered but its secret is lost: ask an admin to delete it in Moku.`
    : '';
  return new EnrollmentError(
    'invalid-options',
    `cannot write the credential file ${path} (${why}).${lost} Choose a writable --credentials-file and enroll again`,
  );
}

/** Passes `signal` to every request openid-client makes, on top of its own timeout. */
function abortable(signal: AbortSignal): CustomFetch {
  return (url, init) =>
    fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal });
}
