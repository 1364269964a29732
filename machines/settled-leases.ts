/**
 * The leaseIds a neuron has settled, remembered for a while so that a `lease` replayed after a
 * reconnect is recognised as a duplicate. Two generations rotate: an id is kept between one and
 * two `retainMs`, and adding or checking one is O(1) however many leases went through.
 *
 * A generation also rotates once it holds `maxPerGeneration` ids, so memory stays bounded
 * whatever the lease rate (at 1 000 leases/s, 20 minutes would be over a million ids): the most
 * recent `maxPerGeneration` to twice that are always remembered, far more than a gateway replays
 * after a reconnect (its replay buffer holds the last events, not minutes of them).
 */
export const SETTLED_PER_GENERATION = 10_000;

export class SettledLeases {
  readonly #retainMs: number;
  readonly #maxPerGeneration: number;
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAt: number;

  constructor(retainMs: number, now: number, maxPerGeneration = SETTLED_PER_GENERATION) {
    this.#retainMs = retainMs;
    this.#rotatedAt = now;
    this.#maxPerGeneration = maxPerGeneration;
  }

  add(leaseId: string, now: number): void {
    this.#rotate(now);
    this.#current.add(leaseId);
  }

  has(leaseId: string): boolean {
    return this.#current.has(leaseId) || this.#previous.has(leaseId);
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  #rotate(now: number): void {
    const full = this.#current.size >= this.#maxPerGeneration;
    if (!full && now - this.#rotatedAt < this.#retainMs) return;
    this.#previous = full || now - this.#rotatedAt < 2 * this.#retainMs ? this.#current : new Set();
    this.#current = new Set();
    this.#rotatedAt = now;
  }

  /** Plain data for snapshots and the inspector. */
  toJSON(): { count: number } {
    return { count: this.size };
  }
}
