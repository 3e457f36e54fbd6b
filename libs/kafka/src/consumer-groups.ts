import { Admin } from 'kafkajs';
import { topicOffsets } from './topic-offsets';

/** Where a consumer group stands on one partition of a topic. */
export interface PartitionPosition {
  partition: number;
  /** The log's first offset (0 unless records were deleted). */
  low: bigint;
  /** One past the last record. */
  end: bigint;
  /** The group's committed offset: the next record it reads; null when it committed none. */
  committed: bigint | null;
}

export interface GroupPosition {
  partitions: PartitionPosition[];
  /** Records the group has not read yet, over every partition. */
  lag: bigint;
  /** Records on the topic, over every partition. */
  records: bigint;
  /** Share of the topic's records the group has read, 0 to 1 (1 for an empty topic). */
  caughtUp: number;
}

/** Read from the log's ends and the group's committed offsets; a group that committed nothing starts at the log's start. */
export async function groupPosition(admin: Admin, groupId: string, topic: string): Promise<GroupPosition> {
  const [ends, committed] = await Promise.all([topicOffsets(admin, topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const offsets = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  const partitions = ends
    .map((p): PartitionPosition => {
      const offset = offsets.get(p.partition);
      return { partition: p.partition, low: BigInt(p.low), end: BigInt(p.high), committed: offset === undefined || offset < 0n ? null : offset };
    })
    .sort((a, b) => a.partition - b.partition);
  return positionOf(partitions);
}

/** Lag and caught-up share of partition positions (pure). */
export function positionOf(partitions: PartitionPosition[]): GroupPosition {
  let lag = 0n;
  let records = 0n;
  for (const p of partitions) {
    const next = clamp(p.committed ?? p.low, p.low, p.end);
    lag += p.end - next;
    records += p.end - p.low;
  }
  const caughtUp = records === 0n ? 1 : Number(records - lag) / Number(records);
  return { partitions, lag, records, caughtUp };
}

const clamp = (value: bigint, low: bigint, high: bigint) => (value < low ? low : value > high ? high : value);

/** How many consumers are members of the group now (0 when it is empty or unknown). */
export async function liveMembers(admin: Admin, groupId: string): Promise<number> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]?.members.length ?? 0;
}

/** A group's offsets may only be moved while none of its consumers runs: they would commit over the move. */
export class GroupHasLiveMembersError extends Error {
  constructor(
    readonly groupId: string,
    readonly members: number,
  ) {
    super(`consumer group ${groupId} has ${members} live member(s)`);
  }
}

/** Where to move a group: the first record at or after an instant (event time as the broker stamped it), or offsets. */
export type ResetTarget = { timestamp: number } | { offset: bigint } | { offsets: Map<number, bigint> };

export interface PartitionMove {
  partition: number;
  from: bigint | null;
  to: bigint;
}

/**
 * Moves the group's committed offsets on `topic` (every partition) to the target, refusing while
 * the group has live members. Offsets are clamped to the log's bounds; a partition a list of
 * offsets does not name keeps its position.
 */
export async function resetGroupOffsets(admin: Admin, groupId: string, topic: string, target: ResetTarget, options: { dryRun?: boolean } = {}): Promise<PartitionMove[]> {
  const members = await liveMembers(admin, groupId);
  if (members > 0) throw new GroupHasLiveMembersError(groupId, members);
  const { partitions } = await groupPosition(admin, groupId, topic);
  const byTime = 'timestamp' in target ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, target.timestamp)).map((p) => [p.partition, BigInt(p.offset)])) : undefined;
  const moves = partitions.flatMap((p): PartitionMove[] => {
    const wanted = byTime ? byTime.get(p.partition) : 'offset' in target ? target.offset : 'offsets' in target ? target.offsets.get(p.partition) : undefined;
    if (wanted === undefined) return [];
    return [{ partition: p.partition, from: p.committed, to: wanted < 0n ? p.end : clamp(wanted, p.low, p.end) }];
  });
  if (!options.dryRun && moves.length > 0) {
    await admin.setOffsets({ groupId, topic, partitions: moves.map((m) => ({ partition: m.partition, offset: m.to.toString() })) });
  }
  return moves;
}
