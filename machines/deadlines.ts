/**
 * The queued leases' deadlines, soonest first (a binary min-heap): the pool expires a queued
 * lease itself, with one timer for the soonest deadline, because xstate walks every delayed
 * event of the whole system each time any actor stops — one `after` per queued lease made a
 * flood of N queued leases cost N² (see `lease-pool.ts`).
 */
export interface Deadline<T> {
  at: number;
  item: T;
}

export class Deadlines<T> {
  #heap: Deadline<T>[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(at: number, item: T): void {
    const heap = this.#heap;
    heap.push({ at, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Deadline<T>).at <= at) break;
      [heap[i], heap[parent]] = [heap[parent] as Deadline<T>, heap[i] as Deadline<T>];
      i = parent;
    }
  }

  /** The soonest deadline, if any. */
  peek(): Deadline<T> | undefined {
    return this.#heap[0];
  }

  pop(): Deadline<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && (heap[left] as Deadline<T>).at < (heap[least] as Deadline<T>).at)
        least = left;
      if (right < heap.length && (heap[right] as Deadline<T>).at < (heap[least] as Deadline<T>).at)
        least = right;
      if (least === i) break;
      [heap[i], heap[least]] = [heap[least] as Deadline<T>, heap[i] as Deadline<T>];
      i = least;
    }
    return top;
  }
}
