import { Logger } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { completionsDue, ReactionMetadata, retentionShredsDue, shredsDue, SubjectState } from '@lethe/consent-domain';
import { ConsentEventCodec, ConsentStateCodec, erasureCompletedId, HEADERS, keyShreddedId, OptOutNotice, OptOutNoticeCodec, retentionShredId, TopicNames } from '@lethe/contracts';
import { appendToConsentLog, sendInChunks, sendToDeadLetter } from '@lethe/kafka';
import { FoldResult, PublicViews } from '@lethe/projection';

export interface PublicationDeps {
  producer: Producer;
  eventCodec: ConsentEventCodec;
  stateCodec: ConsentStateCodec;
  noticeCodec: OptOutNoticeCodec;
  topics: TopicNames;
  groupId: string;
}

/**
 * What a folded slice writes to Kafka, once all its PostgreSQL writes succeeded and before they
 * commit: the completions and key shreds it makes due, its dead letters, the changed states for consent.state,
 * then the notices for consent.opt-outs (after the states, so a subscriber told of a change can
 * read the state that made it). A slice folded again after a failed commit writes the same
 * again, which the fold (event ids derived from the request), compaction and the notices'
 * versions absorb (docs/adr/0014).
 */
export async function publishSlice(deps: PublicationDeps, logger: Logger, topic: string, partition: number, { changed, notices, rejected, views }: FoldResult): Promise<void> {
  await appendReactions(deps, changed);
  await sendToDeadLetter(
    deps.producer,
    deps.topics.consentDlq,
    rejected.map(({ message, reason, detail }) => ({ topic, partition, message, reason, detail, groupId: deps.groupId })),
  );
  if (rejected.length > 0) logger.warn(`${rejected.length} record(s) sent to ${deps.topics.consentDlq}`);
  await publishStates(deps, changed, views);
  await publishNotices(deps, notices);
}

/**
 * ErasureRequestCompleted for requests the slice completed, and KeyShredded for subjects whose
 * erasure of all data it saw complete (ids derived from (subject, request) and subject) or whose
 * identity retention had already ended (a log folded long after it was written).
 */
async function appendReactions(deps: PublicationDeps, changed: SubjectState[]): Promise<void> {
  const metadata = reactionMetadata();
  const events = changed.flatMap((state) => {
    const shreds = shredsDue(state, metadata);
    return [...completionsDue(state, metadata), ...(shreds.length > 0 ? shreds : retentionShredsDue(state, metadata))];
  });
  await appendToConsentLog(deps.producer, deps.eventCodec, deps.topics.consentLog, events);
}

/** What the projector's reactions are stamped with: its clock and name, and ids derived from what they react to. */
export function reactionMetadata(): ReactionMetadata {
  return { now: Date.now(), actor: 'lethe-projector', completionEventId: erasureCompletedId, shredEventId: keyShreddedId, retentionShredEventId: retentionShredId };
}

/** States as the projection holds them, published again to consent.state (late-publications.ts). */
export function republishStates(deps: PublicationDeps, states: SubjectState[]): Promise<void> {
  return publishStates(deps, states, new PublicViews());
}

async function publishStates(deps: PublicationDeps, changed: SubjectState[], views: PublicViews): Promise<void> {
  if (changed.length === 0) return;
  const now = Date.now();
  const messages = await Promise.all(
    changed.map(async (state) => ({ key: state.subjectId, value: await deps.stateCodec.encode(views.at(state, now)) })),
  );
  await sendInChunks(deps.producer, deps.topics.consentState, messages);
}

/** Keyed by subject, in log order: a subject's notices stay in order on one partition. */
async function publishNotices(deps: PublicationDeps, notices: OptOutNotice[]): Promise<void> {
  if (notices.length === 0) return;
  const messages = await Promise.all(
    notices.map(async (notice) => ({ key: notice.subject_id, value: await deps.noticeCodec.encode(notice), headers: { [HEADERS.noticeChange]: notice.change } })),
  );
  await sendInChunks(deps.producer, deps.topics.optOuts, messages);
}
