/** One partition's offsets as the broker reported them: low (first kept) and high (next to be written). */
export interface PartitionWatermark {
  partition: number;
  low: number;
  high: number;
}

/** The watermarks of every partition of the guard's topics, and when they were asked for. */
export interface Watermarks {
  fetchedAt: number;
  topics: Map<string, PartitionWatermark[]>;
}

/**
 * How far the guard has consumed: per topic and partition, the offset after the last record it
 * applied. Pure; the consumer advances it, the readiness and freshness checks compare it.
 */
export class Progress {
  private readonly next = new Map<string, number[]>();

  /** Records that everything before `nextOffset` is applied; never moves back (a replay after a rejoin). */
  advance(topic: string, partition: number, nextOffset: number): void {
    let partitions = this.next.get(topic);
    if (!partitions) this.next.set(topic, (partitions = []));
    if (!(partitions[partition] >= nextOffset)) partitions[partition] = nextOffset;
  }

  /** The offset after the last record applied (0: none). */
  position(topic: string, partition: number): number {
    return this.next.get(topic)?.[partition] ?? 0;
  }

  /** Whether every partition is consumed up to its high watermark (or has nothing to read). */
  reached(watermarks: Watermarks): boolean {
    for (const [topic, partitions] of watermarks.topics) {
      for (const { partition, low, high } of partitions) {
        if (high > low && this.position(topic, partition) < high) return false;
      }
    }
    return true;
  }

  /** How far along it is, for errors: offsets consumed of those to reach, per topic. No record contents. */
  describe(watermarks: Watermarks): string {
    return [...watermarks.topics]
      .map(([topic, partitions]) => {
        const behind = partitions.filter(({ partition, low, high }) => high > low && this.position(topic, partition) < high);
        const done = partitions.reduce((sum, { partition, low, high }) => sum + Math.max(0, Math.min(this.position(topic, partition), high) - low), 0);
        const total = partitions.reduce((sum, { low, high }) => sum + Math.max(0, high - low), 0);
        return `${topic}: ${done} of ${total} offsets consumed, ${behind.length} of ${partitions.length} partition(s) behind`;
      })
      .join('; ');
  }
}

/** kafkajs' fetchTopicOffsets answer (offsets as strings) as numbers. */
export function partitionWatermarks(offsets: { partition: number; low: string; high: string }[]): PartitionWatermark[] {
  return offsets.map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }));
}
