/**
 * The names the reference's examples use without defining them (`runPython`, `llmClient`,
 * `statusBar`…), declared as globals so that the examples in `reference/` stay as the docs
 * print them, and `installWorld()` to give them small fakes before an example runs.
 */

export interface Token {
  accessToken: string;
  expiresAt: number;
}

export interface DriveFile {
  name: string;
  mimeType: string;
}

export interface LlmRequest {
  prompt: string;
  model: string;
  signal?: AbortSignal;
}

declare global {
  var runPython: (input: { code: string }, signal: AbortSignal) => Promise<string>;
  var log: { append(frame: unknown): void };
  var debugLog: { append(frame: unknown): void };
  var statusBar: { show(text: string, detail?: string): void };
  var readOrCreateStoredId: (path: string) => Promise<string>;
  var getUserIdFromToken: (token: string) => Promise<string>;
  var authToken: string;
  var driveClient: {
    files: {
      get(request: { fileId: string; signal: AbortSignal }): Promise<DriveFile>;
      download(request: { fileId: string; signal: AbortSignal }): Promise<string>;
    };
  };
  var processRow: (row: unknown) => Promise<unknown>;
  var llmClient: {
    complete(request: LlmRequest): Promise<{ text: string; usage: { total: number } }>;
  };
  var fetchInitialToken: () => Promise<Token>;
  var isExpired: (token: Token) => boolean;
  var refreshToken: () => Promise<Token>;
  var validApiKey: boolean;
}

/** What the fakes saw, for the tests' assertions. */
export interface World {
  appended: unknown[];
  shown: Array<[string, string | undefined]>;
  llmRequests: LlmRequest[];
  /** Makes the next `llmClient.complete` fail with this. */
  llmFailure: unknown;
  tokensIssued: number;
}

/** Installs the fakes on `globalThis`; they answer at once and record what they are given. */
export function installWorld(): World {
  const world: World = {
    appended: [],
    shown: [],
    llmRequests: [],
    llmFailure: undefined,
    tokensIssued: 0,
  };
  const issue = async (): Promise<Token> => {
    world.tokensIssued++;
    return { accessToken: `token-${world.tokensIssued}`, expiresAt: Date.now() + 60_000 };
  };
  Object.assign(globalThis, {
    runPython: async ({ code }: { code: string }) => `ran ${code}`,
    log: { append: (frame: unknown) => world.appended.push(frame) },
    debugLog: { append: (frame: unknown) => world.appended.push(frame) },
    statusBar: { show: (text: string, detail?: string) => world.shown.push([text, detail]) },
    readOrCreateStoredId: async (path: string) => `id-from-${path}`,
    getUserIdFromToken: async (token: string) => `user:${token}`,
    authToken: 'abc',
    driveClient: {
      files: {
        get: async ({ fileId }: { fileId: string }) => ({
          name: `${fileId}.txt`,
          mimeType: 'text/plain',
        }),
        download: async ({ fileId }: { fileId: string }) => `contents of ${fileId}`,
      },
    },
    processRow: async (row: unknown) => ({ processed: row }),
    llmClient: {
      complete: async (request: LlmRequest) => {
        world.llmRequests.push(request);
        const failure = world.llmFailure;
        world.llmFailure = undefined;
        if (failure !== undefined) throw failure;
        return { text: `answer to ${request.prompt}`, usage: { total: 7 } };
      },
    },
    fetchInitialToken: issue,
    isExpired: (token: Token) => token.expiresAt <= Date.now(),
    refreshToken: issue,
    validApiKey: true,
  });
  return world;
}
