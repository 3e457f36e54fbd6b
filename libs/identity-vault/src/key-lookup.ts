import { coalescedByTurn } from '@lethe/config';

/** Reads the keys of many key ids in one query (ids shredded or never known are absent). */
export interface KeysById {
  keysById(keyIds: readonly string[]): Promise<Map<string, Buffer>>;
}

/**
 * `keyById` for many concurrent steps: the ids asked for in the same turn of the event loop are
 * read in one query issued after the last of them asked, and nothing is kept afterwards. Every
 * answer comes from a read made after its caller asked, so a key shredded before a step looked it
 * up is never served (the step fails with identity_shredded, as with one query per step).
 */
export class CoalescingKeyLookup {
  private readonly lookup: (keyId: string) => Promise<Buffer | undefined>;

  constructor(store: KeysById) {
    this.lookup = coalescedByTurn((keyIds) => store.keysById(keyIds));
  }

  async keyById(keyId: string): Promise<Buffer | null> {
    return (await this.lookup(keyId)) ?? null;
  }
}
