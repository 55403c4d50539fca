// Flows held for retiring, least recently seen first. A flow is filed when it is first
// settled, which can be long after its last packet (a journey that never reached the last hop
// settles one window later, in batches): a queue in filing order is not in order of last
// sighting, and an old flow filed behind younger ones would wait for all of them. A heap keyed
// by the last sighting keeps the order whatever the filing order.

interface Entry<F> {
  flow: F;
  /** The flow's lastSeen when this entry was last placed; a later packet makes it stale. */
  lastSeen: number;
}

export class IdleFlows<F extends { lastSeen: number }> {
  private readonly heap: Entry<F>[] = [];
  private readonly filed = new WeakSet<F>();

  get size(): number {
    return this.heap.length;
  }

  /** Files a flow once; later packets of it only move it back when it comes to the top. */
  add(flow: F): void {
    if (this.filed.has(flow)) return;
    this.filed.add(flow);
    this.heap.push({ flow, lastSeen: flow.lastSeen });
    this.siftUp(this.heap.length - 1);
  }

  /**
   * Takes the least recently seen flow when `due` holds for its last sighting. A stale top
   * (seen again since it was placed) is placed again first: sightings only move forward.
   */
  takeIf(due: (lastSeen: number) => boolean): F | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (top.flow.lastSeen !== top.lastSeen) {
        top.lastSeen = top.flow.lastSeen;
        this.siftDown(0);
        continue;
      }
      if (!due(top.lastSeen)) return undefined;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        this.siftDown(0);
      }
      this.filed.delete(top.flow);
      return top.flow;
    }
    return undefined;
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.lastSeen <= entry.lastSeen) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const entry = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]!.lastSeen < heap[child]!.lastSeen) child++;
      if (heap[child]!.lastSeen >= entry.lastSeen) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = entry;
  }
}
