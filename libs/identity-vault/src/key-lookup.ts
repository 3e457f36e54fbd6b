/** Reads the keys of many key ids in one query (ids shredded or never known are absent). */
export interface KeysById {
  keysById(keyIds: readonly string[]): Promise<Map<string, Buffer>>;
}

/**
 * `keyById` for many concurrent callers: the ids asked for in the same turn of the event loop are
 * read together, in one query issued after the last of them asked. Nothing is kept afterwards:
 * every answer comes from a read made after its caller asked, so a key shredded before a step
 * looked it up is never served (the step fails with identity_shredded, as with one query per step).
 */
export class CoalescingKeyLookup {
  private round: { ids: Set<string>; keys: Promise<Map<string, Buffer>> } | null = null;

  constructor(private readonly store: KeysById) {}

  keyById(keyId: string): Promise<Buffer | null> {
    if (!this.round) {
      const ids = new Set<string>();
      const keys = new Promise<void>((turnEnded) => setImmediate(turnEnded)).then(() => {
        this.round = null; // later callers start a round of their own, read afresh
        return this.store.keysById([...ids]);
      });
      this.round = { ids, keys };
    }
    this.round.ids.add(keyId);
    return this.round.keys.then((keys) => keys.get(keyId) ?? null);
  }
}
