/**
 * `@holokai/neuron-sdk/auth` (Node-only): enrollment and client-credential tokens, AUTH.md.
 */
export {
  type ClientCredentialsAuthOptions,
  createClientCredentialsAuth,
} from './client-credentials.js';
export {
  type CredentialFile,
  defaultCredentialPath,
  readCredentialFile,
} from './credential-file.js';
export {
  type EnrollOptions,
  type EnrollResult,
  enroll,
  type PollInfo,
  type VerificationInfo,
} from './enroll.js';
export {
  CredentialFileError,
  type CredentialFileProblem,
  CredentialRevokedError,
  EnrollmentError,
  type EnrollmentFailureReason,
  TokenRequestError,
} from './errors.js';
