import { Logger } from '@nestjs/common';
import { safeErrorSummary } from '@lethe/config';
import { EntityManager } from 'typeorm';
import type { ConsentEvent } from '@lethe/contracts';
import { retentionShredsDue, shredsDue, type SubjectState } from '@lethe/consent-domain';
import { shredKeys } from '@lethe/identity-vault';
import { appendToConsentLog } from '@lethe/kafka';
import { ProjectionStore } from '@lethe/projection';
import { PublicationDeps, reactionMetadata } from './slice-publications';

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

const PAGE = 1_000;

/** Runs `page` on successive pages of subjects until one comes back short. */
async function everyPage<T>(load: (after: string | null) => Promise<T[]>, subjectOf: (item: T) => string, page: (items: T[]) => Promise<number>): Promise<number> {
  let total = 0;
  let after: string | null = null;
  for (;;) {
    const items = await load(after);
    total += await page(items);
    if (items.length < PAGE) return total;
    after = subjectOf(items[items.length - 1]);
  }
}

/**
 * At every start, before folding:
 * - every KeyShredded the projection has folded is applied to the key store again. A key store
 *   restored from a backup taken before a shred holds that key again; this destroys it before
 *   anything can read it. (A restore of the projection itself rewinds its offsets too, and folding
 *   the log again shreds the same keys.)
 * - KeyShredded is appended for every subject whose erasure of all data completed without one
 *   (completed before this version, or its append lost with an unfinished transaction).
 */
export async function shredOnStart(deps: PublicationDeps, db: EntityManager, store: ProjectionStore, logger: Logger): Promise<void> {
  const destroyed = await everyPage((after) => store.shreddedSubjects(db, after, PAGE), (subject) => subject, (subjects) => shredKeys(db, subjects));
  if (destroyed > 0) logger.warn(`re-applied KeyShredded from the log: destroyed ${destroyed} data key(s) the key store held again (restored from a backup?)`);
  const metadata = reactionMetadata();
  const appended = await appendForEveryPage(deps, (after) => store.statesAwaitingShred(db, after, PAGE), (state) => shredsDue(state, metadata));
  if (appended > 0) logger.log(`appended KeyShredded for ${appended} subject(s) whose erasure had completed without one`);
}

/** Appends what `due` says of each state on successive pages from `load`; resolves with how many events. */
function appendForEveryPage(deps: PublicationDeps, load: (after: string | null) => Promise<SubjectState[]>, due: (state: SubjectState) => ConsentEvent[]): Promise<number> {
  return everyPage(load, (state) => state.subjectId, async (states) => {
    const events = states.flatMap(due);
    await appendToConsentLog(deps.producer, deps.eventCodec, deps.topics.consentLog, events);
    return events.length;
  });
}

/**
 * KeyShredded for every subject whose identity retention ended by now (docs/adr/0022): time
 * passing is not a record on the log, so the projector looks for them at start and then every
 * sweep interval. The fold destroys each key when it reads the shred back, unless a grant or an
 * erasure folded in between made it void. Two projectors sweeping the same subject append one
 * fact (the id is fixed by the subject and the fact the retention ran from).
 */
export async function shredEndedRetentions(deps: PublicationDeps, db: EntityManager, store: ProjectionStore, logger: Logger): Promise<number> {
  const metadata = reactionMetadata();
  const appended = await appendForEveryPage(deps, (after) => store.statesWithRetentionEnded(db, metadata.now, after, PAGE), (state) => retentionShredsDue(state, metadata));
  if (appended > 0) logger.log(`appended KeyShredded for ${appended} subject(s) whose identity retention ended`);
  return appended;
}

/**
 * Runs `sweep` now and then every `intervalMs` until stopped, one run at a time. A failed run (the broker or
 * PostgreSQL away) is logged and tried again at the next interval: nothing is lost by waiting,
 * since the retentions stay in the projection until their shred is folded.
 */
export function sweepEvery(intervalMs: number, sweep: () => Promise<unknown>, logger: Logger): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(() =>
      sweep().catch((error: unknown) => logger.warn(`identity retention sweep failed, trying again in ${intervalMs} ms: ${safeErrorSummary(error)}`)),
    );
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
