/**
 * The leaseIds a neuron has settled, remembered for a while so that a `lease` replayed after a
 * reconnect is recognised as a duplicate. Two generations rotate: an id is kept between one and
 * two `retainMs`, and adding or checking one is O(1) however many leases went through.
 */
export class SettledLeases {
  readonly #retainMs: number;
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAt: number;

  constructor(retainMs: number, now: number) {
    this.#retainMs = retainMs;
    this.#rotatedAt = now;
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
    if (now - this.#rotatedAt < this.#retainMs) return;
    this.#previous = now - this.#rotatedAt < 2 * this.#retainMs ? this.#current : new Set();
    this.#current = new Set();
    this.#rotatedAt = now;
  }

  /** Plain data for snapshots and the inspector. */
  toJSON(): { count: number } {
    return { count: this.size };
  }
}
