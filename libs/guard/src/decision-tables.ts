import type { CompiledDecisions, Decision } from '@lethe/contracts';

/** What one state decides: a decision per name it mentions, and one for every other name. */
export interface DecisionTable {
  readonly names: ReadonlyMap<string, Decision>;
  readonly others: Decision;
}

/**
 * Shares one table between every subject whose state decides the same: most subjects granted or
 * withdrew the same few purposes, so a million subjects need a few hundred tables, not a million
 * maps. The pool is capped so that unusual states (many distinct purposes) cannot grow it
 * without bound; past the cap a table is simply not shared.
 */
export class DecisionTables {
  private readonly pool = new Map<string, DecisionTable>();

  constructor(private readonly capacity = 10_000) {}

  intern({ names, others }: CompiledDecisions): DecisionTable {
    const key = keyOf(names, others);
    const shared = this.pool.get(key);
    if (shared) return shared;
    const table: DecisionTable = { names, others };
    if (this.pool.size < this.capacity) this.pool.set(key, table);
    return table;
  }

  get shared(): number {
    return this.pool.size;
  }
}

/** Control characters cannot occur in names (purposes are validated strings), so keys never collide. */
function keyOf(names: ReadonlyMap<string, Decision>, others: Decision): string {
  let key = others;
  for (const name of [...names.keys()].sort()) key += `\u0000${name}\u0001${names.get(name)}`;
  return key;
}
