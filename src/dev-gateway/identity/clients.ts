/**
 * Enrolled clients (RFC 7591 registrations). A secret is shown once, in the registration's
 * answer; the book keeps its SHA-256 only. The secret is 256 random bits, so a fast hash is as
 * good as a slow one here (there is nothing to guess), and neither `neuron clients`, the dev API
 * nor a copied state folder ever shows a credential a neuron could present.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StateDir } from './state.js';
import type { ClientInfo } from './types.js';

export const CLIENTS_FILE = 'clients.json';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** What the book keeps of a client: what `ClientInfo` shows, and the hash of its secret. */
export type ClientRecord = Omit<ClientInfo, 'neurons'> & {
  /** base64url SHA-256 of the secret. */
  secretHash: string;
};

interface ClientsFile {
  version: 1;
  clients: ClientRecord[];
}

export class ClientBook {
  readonly #clients = new Map<string, ClientRecord>();
  readonly #state: StateDir | undefined;

  private constructor(state: StateDir | undefined) {
    this.#state = state;
  }

  static async load(state: StateDir | undefined): Promise<ClientBook> {
    const book = new ClientBook(state);
    const file = await state?.read<ClientsFile>(CLIENTS_FILE);
    for (const client of file?.clients ?? []) {
      const { lastTokenAt: _, ...kept } = client;
      book.#clients.set(client.clientId, kept);
    }
    return book;
  }

  /** A new client and its secret (the only time the secret exists outside the neuron). */
  async register(init: {
    clientName?: string;
    capabilities: string[];
    orgId?: string;
  }): Promise<{ client: ClientRecord; secret: string }> {
    const secret = randomBytes(32).toString('base64url');
    const client: ClientRecord = {
      clientId: `nrn_${ulid()}`,
      secretHash: hash(secret),
      ...(init.clientName !== undefined && { clientName: init.clientName }),
      capabilities: init.capabilities,
      ...(init.orgId !== undefined && { orgId: init.orgId }),
      createdAt: Date.now(),
    };
    this.#clients.set(client.clientId, client);
    await this.#save();
    return { client, secret };
  }

  /** The client whose id and secret these are, if it is not revoked; else why not. */
  authenticate(clientId: string, secret: string): ClientRecord | { problem: string } {
    const client = this.#clients.get(clientId);
    const given = Buffer.from(hash(secret));
    const known = Buffer.from(client?.secretHash ?? hash(''));
    // Compared even for an unknown id, so the answer takes as long either way.
    const matches = given.length === known.length && timingSafeEqual(given, known);
    if (!client || !matches) return { problem: 'unknown client or wrong secret' };
    if (client.revokedAt !== undefined) return { problem: `client ${clientId} was revoked` };
    return client;
  }

  get(clientId: string): ClientRecord | undefined {
    return this.#clients.get(clientId);
  }

  all(): ClientRecord[] {
    return [...this.#clients.values()];
  }

  /** Marks the client revoked (kept, so listings say so and its tokens stay refused). */
  async revoke(client: ClientRecord, reason: string | undefined): Promise<void> {
    client.revokedAt = Date.now();
    if (reason !== undefined) client.revokeReason = reason;
    await this.#save();
  }

  async #save(): Promise<void> {
    if (!this.#state) return;
    const clients = this.all().map(({ lastTokenAt: _, ...kept }) => kept);
    await this.#state.write(CLIENTS_FILE, { version: 1, clients } satisfies ClientsFile);
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** A ULID: 48 bits of milliseconds, 80 random bits, Crockford base32 (26 characters). */
function ulid(now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i += 1, t = Math.floor(t / 32)) {
    time = CROCKFORD[t % 32]! + time;
  }
  const random = [...randomBytes(16)].map((byte) => CROCKFORD[byte % 32]!).join('');
  return time + random;
}
