import { Logger } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { completionsDue, SubjectState } from '@lethe/consent-domain';
import { ConsentEventCodec, ConsentStateCodec, erasureCompletedId, TopicNames } from '@lethe/contracts';
import { appendToConsentLog, sendInChunks, sendToDeadLetter } from '@lethe/kafka';
import type { FoldResult } from './batch-folder';
import { toConsentState } from './state-view';

export interface PublicationDeps {
  producer: Producer;
  eventCodec: ConsentEventCodec;
  stateCodec: ConsentStateCodec;
  topics: TopicNames;
  groupId: string;
}

/**
 * What a folded slice writes to Kafka, once all its PostgreSQL writes succeeded and before they
 * commit: the completions it makes due, its dead letters, and the changed states for
 * consent.state. A slice folded again after a failed commit writes the same again, which the fold
 * (event ids derived from the request) and compaction absorb.
 */
export async function publishSlice(deps: PublicationDeps, logger: Logger, topic: string, partition: number, { changed, rejected }: FoldResult): Promise<void> {
  await appendCompletions(deps, changed);
  await sendToDeadLetter(
    deps.producer,
    deps.topics.consentDlq,
    rejected.map(({ message, reason, detail }) => ({ topic, partition, message, reason, detail, groupId: deps.groupId })),
  );
  if (rejected.length > 0) logger.warn(`${rejected.length} record(s) sent to ${deps.topics.consentDlq}`);
  await publishStates(deps, changed);
}

/** ErasureRequestCompleted for requests the slice completed; their ids are derived from the request. */
async function appendCompletions(deps: PublicationDeps, changed: SubjectState[]): Promise<void> {
  const metadata = { now: Date.now(), actor: 'lethe-projector', completionEventId: erasureCompletedId };
  const events = changed.flatMap((state) => completionsDue(state, metadata));
  await appendToConsentLog(deps.producer, deps.eventCodec, deps.topics.consentLog, events);
}

async function publishStates(deps: PublicationDeps, changed: SubjectState[]): Promise<void> {
  if (changed.length === 0) return;
  const now = Date.now();
  const messages = await Promise.all(
    changed.map(async (state) => ({ key: state.subjectId, value: await deps.stateCodec.encode(toConsentState(state, now)) })),
  );
  await sendInChunks(deps.producer, deps.topics.consentState, messages);
}
