/**
 * Runs `work` on every item, one lane per key: the items of one key one after another in the
 * order given, different keys at once. Resolves once every lane has finished; if any item failed,
 * rejects with the first failure, but only after every lane has stopped, so nothing of the round
 * is still running when the caller starts over. A lane stops at its first failure: the items after
 * it in that lane are not worked on.
 */
export async function runInLanes<T>(items: readonly T[], keyOf: (item: T) => string, work: (item: T) => Promise<void>): Promise<void> {
  const lanes = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(item);
    else lanes.set(key, [item]);
  }
  const settled = await Promise.allSettled(
    [...lanes.values()].map(async (lane) => {
      for (const item of lane) await work(item);
    }),
  );
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}
