/**
 * At most `size` holders at once, the rest waiting in arrival order. The sql connector takes a
 * slot before it asks the pool for a connection, so steps queued behind a busy pool wait here,
 * without end, and the pool's connection timeout keeps meaning "the database does not answer".
 */
export class Slots {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held >= this.size) await new Promise<void>((free) => this.waiting.push(free));
    else this.held += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on directly: held stays the same
      else this.held -= 1;
    }
  }
}
