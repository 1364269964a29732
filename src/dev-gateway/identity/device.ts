/**
 * Device authorizations (RFC 8628) and the initial access tokens they end in. In memory only: a
 * restart forgets codes still waiting, and the enrolling neuron's `enroll` says they expired.
 * No timers: expired entries are forgotten as the book is next used.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { DeviceCodeInfo, DeviceCodeStatus } from './types.js';

/** RFC 8628 §6.1: no vowels (no words), no look-alikes; 20^8 ≈ 2^34.6 codes. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** §3.5: each `slow_down` adds 5 s to the interval. */
const SLOW_DOWN_STEP_MS = 5_000;
const KEEP_EXPIRED_MS = 600_000;

interface DeviceRecord {
  deviceCode: string;
  userCode: string;
  status: Exclude<DeviceCodeStatus, 'expired'>;
  clientName?: string;
  capabilities: string[];
  createdAt: number;
  expiresAt: number;
  intervalMs: number;
  lastPollAt?: number;
}

/** The token the device flow ends in: good for one registration. */
export interface InitialAccessToken {
  token: string;
  expiresAt: number;
  clientName?: string;
  capabilities: string[];
}

export type PollResult =
  | { token: InitialAccessToken }
  | { error: 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token' }
  | { error: 'invalid_grant'; description: string };

export type Decision =
  | { code: DeviceCodeInfo }
  | { problem: 'not-found' | 'decided'; code?: DeviceCodeInfo };

export interface DeviceBookOptions {
  deviceCodeTtlMs: number;
  pollIntervalMs: number;
  autoApprove: boolean;
  verificationUri: string;
  /** A code was issued or changed status. */
  onChange: (code: DeviceCodeInfo) => void;
}

export class DeviceBook {
  readonly #options: DeviceBookOptions;
  readonly #byDeviceCode = new Map<string, DeviceRecord>();
  readonly #byUserCode = new Map<string, DeviceRecord>();
  readonly #tokens = new Map<string, InitialAccessToken>();

  constructor(options: DeviceBookOptions) {
    this.#options = options;
  }

  /** A new device code; approved at once under `autoApprove`. */
  authorize(hints: { clientName?: string; capabilities: string[] }): DeviceRecord {
    const now = Date.now();
    this.#forgetOld(now);
    let userCode: string;
    do userCode = newUserCode();
    while (this.#byUserCode.has(normalize(userCode)));
    const record: DeviceRecord = {
      deviceCode: randomBytes(32).toString('base64url'),
      userCode,
      status: this.#options.autoApprove ? 'approved' : 'pending',
      ...(hints.clientName !== undefined && { clientName: hints.clientName }),
      capabilities: hints.capabilities,
      createdAt: now,
      expiresAt: now + this.#options.deviceCodeTtlMs,
      intervalMs: this.#options.pollIntervalMs,
    };
    this.#byDeviceCode.set(record.deviceCode, record);
    this.#byUserCode.set(normalize(userCode), record);
    this.#options.onChange(this.info(record));
    return record;
  }

  /** RFC 8628 §3.5: one poll of the token endpoint with this device code. */
  poll(deviceCode: string): PollResult {
    const now = Date.now();
    this.#forgetOld(now);
    const record = this.#byDeviceCode.get(deviceCode);
    if (!record) {
      return { error: 'invalid_grant', description: 'unknown device_code (or forgotten long ago)' };
    }
    if (record.status === 'collected') {
      return { error: 'invalid_grant', description: 'this device_code was already exchanged' };
    }
    if (now >= record.expiresAt) return { error: 'expired_token' };
    if (record.status === 'denied') return { error: 'access_denied' };
    if (record.status === 'approved') {
      record.status = 'collected';
      this.#options.onChange(this.info(record));
      const token: InitialAccessToken = {
        token: `iat_${randomBytes(32).toString('base64url')}`,
        expiresAt: now + this.#options.deviceCodeTtlMs,
        ...(record.clientName !== undefined && { clientName: record.clientName }),
        capabilities: record.capabilities,
      };
      this.#tokens.set(token.token, token);
      return { token };
    }
    const last = record.lastPollAt;
    record.lastPollAt = now;
    // A little slack: two polls a full interval apart may arrive a few ms closer than that.
    const slack = Math.min(250, record.intervalMs / 4);
    if (last !== undefined && now - last < record.intervalMs - slack) {
      record.intervalMs += SLOW_DOWN_STEP_MS;
      return { error: 'slow_down' };
    }
    return { error: 'authorization_pending' };
  }

  /** Approves or denies a pending code, by its user code (case and dashes do not matter). */
  decide(userCode: string, decision: 'approved' | 'denied'): Decision {
    const now = Date.now();
    this.#forgetOld(now);
    const record = this.#byUserCode.get(normalize(userCode));
    if (!record || now >= record.expiresAt) return { problem: 'not-found' };
    if (record.status !== 'pending') return { problem: 'decided', code: this.info(record) };
    record.status = decision;
    const code = this.info(record);
    this.#options.onChange(code);
    return { code };
  }

  /** Codes waiting for a decision, oldest first. */
  pending(): DeviceCodeInfo[] {
    const now = Date.now();
    this.#forgetOld(now);
    return [...this.#byDeviceCode.values()]
      .filter((record) => record.status === 'pending' && now < record.expiresAt)
      .map((record) => this.info(record));
  }

  /** The initial access token, if it exists and has not expired or been used. */
  initialAccessToken(token: string): InitialAccessToken | undefined {
    const found = this.#tokens.get(token);
    return found && Date.now() < found.expiresAt ? found : undefined;
  }

  /** Spends the token: it registered a client. */
  consume(token: InitialAccessToken): void {
    this.#tokens.delete(token.token);
  }

  info(record: DeviceRecord): DeviceCodeInfo {
    const expired = record.status !== 'collected' && Date.now() >= record.expiresAt;
    return {
      userCode: record.userCode,
      status: expired ? 'expired' : record.status,
      ...(record.clientName !== undefined && { clientName: record.clientName }),
      capabilities: record.capabilities,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      verificationUriComplete: completeUri(this.#options.verificationUri, record.userCode),
    };
  }

  /**
   * Expired codes are kept a while (one more TTL, at least 10 minutes) to answer
   * `expired_token` rather than `invalid_grant`, then forgotten.
   */
  #forgetOld(now: number): void {
    const keep = Math.max(this.#options.deviceCodeTtlMs, KEEP_EXPIRED_MS);
    for (const record of this.#byDeviceCode.values()) {
      if (now < record.expiresAt + keep) continue;
      this.#byDeviceCode.delete(record.deviceCode);
      this.#byUserCode.delete(normalize(record.userCode));
    }
    for (const token of this.#tokens.values()) {
      if (now >= token.expiresAt) this.#tokens.delete(token.token);
    }
  }
}

export function completeUri(verificationUri: string, userCode: string): string {
  return `${verificationUri}?user_code=${encodeURIComponent(userCode)}`;
}

/** `WDJB-MJHT`. */
function newUserCode(): string {
  let code = '';
  for (let i = 0; i < 8; i += 1) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a person may type: any case, with or without the dash or spaces. */
export function normalize(userCode: string): string {
  return userCode.toUpperCase().replace(/[^A-Z]/g, '');
}
