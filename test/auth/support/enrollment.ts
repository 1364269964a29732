/**
 * Enrollment runs against a test IdP: options that enroll into a fresh folder at 1/100 speed
 * (`pollIntervalScale: 0.01`: a 5 s interval is 50 ms, `slow_down` adds 50 ms), approving (or
 * not) as the code is shown, and recording every poll.
 */
import { join } from 'node:path';
import {
  EnrollmentError,
  type EnrollOptions,
  type PollInfo,
  type VerificationInfo,
} from '@holokai/neuron-sdk/auth';
import { expect, onTestFinished } from 'vitest';
import { tempDir } from './files.js';
import type { TestIdp } from './idp.js';

export interface Run {
  options: EnrollOptions;
  polls: (PollInfo & { at: number })[];
  verification: () => VerificationInfo;
}

/** `decide` approves by default; `null` leaves the code pending. */
export async function enrollment(
  idp: TestIdp,
  overrides: Partial<EnrollOptions> = {},
  decide: ((userCode: string) => Promise<void>) | null = (code) => idp.approve(code),
  onFinished = onTestFinished,
): Promise<Run> {
  const polls: Run['polls'] = [];
  let shown: VerificationInfo | undefined;
  const options: EnrollOptions = {
    mokuUrl: idp.url,
    name: 'neuron-1',
    credentialsFile: join(await tempDir(onFinished), 'holokai', 'neuron-credentials.json'),
    pollIntervalScale: 0.01,
    onVerification: (info) => {
      shown = info;
      if (decide) void decide(info.userCode);
    },
    onPoll: (info) => polls.push({ ...info, at: performance.now() }),
    ...overrides,
  };
  return { options, polls, verification: () => shown! };
}

/** The `EnrollmentError` that `promise` rejects with. */
export async function failure(promise: Promise<unknown>): Promise<EnrollmentError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnrollmentError);
  return err as EnrollmentError;
}

/** `enrollment` against one IdP: `run(overrides?, decide?)`. */
export function enrollmentWith(idp: TestIdp) {
  return (
    overrides?: Partial<EnrollOptions>,
    decide?: ((userCode: string) => Promise<void>) | null,
  ): Promise<Run> => enrollment(idp, overrides, decide);
}
