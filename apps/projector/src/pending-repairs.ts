/** Per subject, the version of the state a slice that did not commit published for it. */
export type PublishedVersions = Map<string, number>;

/**
 * The subjects whose consent.state record may be older than the projection, by partition, until a
 * repair takes them (late-publications.ts). Pure bookkeeping: a repair takes a partition's
 * subjects, and gives back what it could not repair without overwriting what was noted meanwhile.
 */
export class PendingRepairs {
  private readonly byPartition = new Map<number, PublishedVersions>();

  /** A later slice's version replaces an earlier one's: the same process published it after. */
  note(partition: number, published: PublishedVersions): void {
    if (published.size === 0) return;
    const pending = this.byPartition.get(partition) ?? new Map<string, number>();
    for (const [subject, version] of published) pending.set(subject, version);
    this.byPartition.set(partition, pending);
  }

  partitions(): number[] {
    return [...this.byPartition.keys()];
  }

  take(partition: number): PublishedVersions {
    const pending = this.byPartition.get(partition) ?? new Map<string, number>();
    this.byPartition.delete(partition);
    return pending;
  }

  giveBack(partition: number, taken: PublishedVersions): void {
    const noted = this.byPartition.get(partition);
    this.byPartition.set(partition, noted ? new Map([...taken, ...noted]) : taken);
  }

  get subjects(): number {
    return [...this.byPartition.values()].reduce((sum, pending) => sum + pending.size, 0);
  }
}
