/**
 * The binary min-heap the runtime's deadlines live in, on (at, seq): the earliest deadline
 * first, equal deadlines in the order they were set. Each entry knows its index, so moving or
 * removing one is O(log n) with no search and no tombstones. Used by DeadlineQueue (the VRRP
 * instances' shared deadlines) and PreciseTimers (the timerfd-backed clock timers).
 */

/** What the heap orders; `index` is the heap's own bookkeeping (-1 when not in a heap). */
export interface HeapEntry {
  at: number;
  seq: number;
  index: number;
}

export class DeadlineHeap<E extends HeapEntry> {
  private readonly h: E[] = [];
  private seq = 0;

  get size(): number {
    return this.h.length;
  }

  peek(): E | undefined {
    return this.h[0];
  }

  /** Put `e` at `atMs` (moving it when it is already here); it runs after entries set before it for the same time. */
  set(e: E, atMs: number): void {
    e.seq = this.seq++;
    if (e.index < 0) {
      e.at = atMs;
      e.index = this.h.length;
      this.h.push(e);
      this.up(e.index);
    } else {
      const earlier = atMs < e.at;
      e.at = atMs;
      if (earlier) this.up(e.index);
      else this.down(e.index);
    }
  }

  /** Take `e` out (nothing if it is not in a heap). */
  remove(e: E): void {
    const i = e.index;
    if (i < 0 || this.h[i] !== e) return;
    const last = this.h.pop() as E;
    e.index = -1;
    if (last === e) return;
    this.place(last, i);
    this.up(i);
    this.down(last.index);
  }

  private place(e: E, i: number): void {
    this.h[i] = e;
    e.index = i;
  }

  private up(i: number): void {
    const e = this.h[i] as E;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = this.h[p] as E;
      if (!before(e, parent)) break;
      this.place(parent, i);
      i = p;
    }
    this.place(e, i);
  }

  private down(i: number): void {
    const h = this.h;
    const n = h.length;
    const e = h[i] as E;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r] as E, h[l] as E) ? r : l;
      const child = h[c] as E;
      if (!before(child, e)) break;
      this.place(child, i);
      i = c;
    }
    this.place(e, i);
  }
}

function before(x: HeapEntry, y: HeapEntry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
