/**
 * `one(key)` for many concurrent callers, answered by `many(keys)`: the keys asked for in the same
 * turn of the event loop go together, in one call made after the last of them asked. Nothing is
 * kept afterwards, so every answer comes from a call made after its caller asked; a failed call
 * fails each of its callers.
 */
export function coalescedByTurn<K, V>(many: (keys: K[]) => Promise<Map<K, V>>): (key: K) => Promise<V | undefined> {
  let round: { keys: Set<K>; answers: Promise<Map<K, V>> } | null = null;
  return (key) => {
    if (!round) {
      const keys = new Set<K>();
      const answers = new Promise<void>((turnEnded) => setImmediate(turnEnded)).then(() => {
        round = null; // later callers start a round of their own
        return many([...keys]);
      });
      round = { keys, answers };
    }
    round.keys.add(key);
    return round.answers.then((answers) => answers.get(key));
  };
}
