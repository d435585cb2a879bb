/** The shared deadline heap against a sorted list: random sets, moves and removals. */
import t from 'tap';
import { DeadlineHeap, type HeapEntry } from '../../src/runtime/deadline-heap';

t.test('pops in (at, order set) order through random moves and removals', async (t) => {
  let seed = 7;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  for (let round = 0; round < 20; round++) {
    const heap = new DeadlineHeap<HeapEntry & { id: number }>();
    const es = Array.from({ length: 40 }, (_, id) => ({ at: 0, seq: 0, index: -1, id }));
    const ref = new Map<number, { at: number; order: number }>();
    let order = 0;
    for (let op = 0; op < 200; op++) {
      const e = es[rand(es.length)] as (typeof es)[number];
      if (rand(4) === 0) {
        heap.remove(e);
        ref.delete(e.id);
      } else {
        const at = rand(50);
        heap.set(e, at);
        ref.set(e.id, { at, order: order++ });
      }
    }
    const want = [...ref].sort((a, b) => a[1].at - b[1].at || a[1].order - b[1].order).map(([id]) => id);
    const got: number[] = [];
    for (let top = heap.peek(); top; top = heap.peek()) {
      heap.remove(top);
      t.equal(top.index, -1);
      got.push(top.id);
    }
    t.same(got, want, `round ${round}`);
  }
});
