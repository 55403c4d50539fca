/** An echo request as the ledger gives it: when it was last seen, the position it reached, and what it keeps if it fell short (`S`). */
export interface EchoEntry<S extends object> {
  readonly t: number;
  reached: number;
  short?: S;
}

/**
 * A flow's echo requests by sequence number, as a Map<number, EchoEntry> would hold them, but
 * with no object per request: the times and positions sit in one Float64Array, the sequence
 * numbers in a Map of small integers (no heap object per entry), and only a request that fell
 * short keeps an object (its `short`). A ping flood keeps every request until its flow ends;
 * as objects they were most of what the garbage collector copied on a long replay.
 * Iteration is in the order sequence numbers were first set, as a Map's.
 */
export class SentEchoes<S extends object> {
  /** Sequence number -> slot in `values` (slot i: values[2i] the time, values[2i + 1] the position reached). */
  private readonly slots = new Map<number, number>();
  private values = new Float64Array(8);
  private readonly shorts = new Map<number, S>();

  get size(): number {
    return this.slots.size;
  }

  /** The request's fields, read and written through to the ledger (undefined: never sent). */
  get(seq: number): EchoEntry<S> | undefined {
    const slot = this.slots.get(seq);
    return slot === undefined ? undefined : new SentView(this, slot);
  }

  set(seq: number, echo: EchoEntry<S>): this {
    let slot = this.slots.get(seq);
    if (slot === undefined) {
      slot = this.slots.size;
      // The new slot is the first past the end: double the array.
      if (2 * slot === this.values.length) {
        const grown = new Float64Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      }
      this.slots.set(seq, slot);
    }
    this.values[2 * slot] = echo.t;
    this.values[2 * slot + 1] = echo.reached;
    this.setShort(slot, echo.short);
    return this;
  }

  *[Symbol.iterator](): IterableIterator<[number, EchoEntry<S>]> {
    for (const [seq, slot] of this.slots) yield [seq, new SentView(this, slot)];
  }

  /** @internal SentView's access to a slot. */
  value(slot: number, field: 0 | 1): number {
    return this.values[2 * slot + field]!;
  }

  /** @internal */
  setValue(slot: number, field: 0 | 1, value: number): void {
    this.values[2 * slot + field] = value;
  }

  /** @internal */
  short(slot: number): S | undefined {
    return this.shorts.get(slot);
  }

  /** @internal */
  setShort(slot: number, short: S | undefined): void {
    if (short === undefined) this.shorts.delete(slot);
    else this.shorts.set(slot, short);
  }
}

/** One request of a SentEchoes, made when asked for: reading or writing a field reads or writes the ledger. */
class SentView<S extends object> implements EchoEntry<S> {
  constructor(
    private readonly ledger: SentEchoes<S>,
    private readonly slot: number,
  ) {}

  get t(): number {
    return this.ledger.value(this.slot, 0);
  }

  get reached(): number {
    return this.ledger.value(this.slot, 1);
  }

  set reached(reached: number) {
    this.ledger.setValue(this.slot, 1, reached);
  }

  get short(): S | undefined {
    return this.ledger.short(this.slot);
  }

  set short(short: S | undefined) {
    this.ledger.setShort(this.slot, short);
  }
}
