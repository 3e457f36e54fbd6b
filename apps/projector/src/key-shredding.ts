import { Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { SubjectState } from '@lethe/consent-domain';
import { shredKeys } from '@lethe/identity-vault';
import { ProjectionStore } from '@lethe/projection';

/**
 * Crypto-shredding, the destroying half (docs/adr/0018). KeyShredded is appended first, with
 * acks=all, as a reaction to a completed erasure (slice-publications.ts); the key is destroyed
 * only when that fact is folded back from the log, in the slice's own transaction, so the
 * destruction commits together with the state that records it and the offset past it.
 */
export async function destroyShreddedKeys(tx: EntityManager, changed: SubjectState[]): Promise<void> {
  await shredKeys(
    tx,
    changed.filter((state) => state.keyShredded).map((state) => state.subjectId),
  );
}

const PAGE = 10_000;

/**
 * At every start, before folding: every KeyShredded the projection has folded is applied to the
 * key store again. A key store restored from a backup taken before a shred holds that key again;
 * this destroys it before anything can read it. (A restore of the projection itself rewinds its
 * offsets too, and folding the log again shreds the same keys.)
 */
export async function reapplyShreds(tx: EntityManager, store: ProjectionStore, logger: Logger): Promise<void> {
  let destroyed = 0;
  let after: string | null = null;
  for (;;) {
    const subjects = await store.shreddedSubjects(tx, after, PAGE);
    destroyed += await shredKeys(tx, subjects);
    if (subjects.length < PAGE) break;
    after = subjects[subjects.length - 1];
  }
  if (destroyed > 0) logger.warn(`re-applied KeyShredded from the log: destroyed ${destroyed} data key(s) the key store held again (restored from a backup?)`);
}
