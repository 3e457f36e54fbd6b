import { KafkaMessage } from 'kafkajs';
import { evolve, initialState, isDomainError, SubjectState } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventCodec, DecodeError, OptOutNotice } from '@lethe/contracts';
import { noticeFor, PublicViews } from './opt-out-notices';

export interface DecodedRecord {
  message: KafkaMessage;
  /** The decoded event, or why it cannot be applied: a DecodeError kind, and its explanation. */
  event?: ConsentEvent;
  problem?: string;
  detail?: string;
}

export interface FoldResult {
  changed: SubjectState[];
  /** For consent.opt-outs, in log order: what the records changed in what subjects may be processed for. */
  notices: OptOutNotice[];
  rejected: { message: KafkaMessage; reason: string; detail?: string }[];
  /** The public views the fold built, for publishing the changed states without building them again. */
  views: PublicViews;
}

/**
 * Applies a partition's records, in offset order, to the states they touch. Pure apart from the
 * states passed in: the same records on the same states always give the same result. A record
 * that cannot be applied is returned as rejected (for the dead-letter topic), never dropped.
 */
export function foldRecords(partition: number, records: DecodedRecord[], stored: Map<string, SubjectState>): FoldResult {
  const states = new Map<string, SubjectState>();
  const rejected: FoldResult['rejected'] = [];
  const notices: OptOutNotice[] = [];
  const views = new PublicViews();
  for (const { message, event, problem, detail } of records) {
    if (!event) {
      rejected.push({ message, reason: problem ?? 'undecodable', detail });
      continue;
    }
    if (message.key?.toString() !== event.subject_id) {
      rejected.push({ message, reason: 'record key differs from the event subject_id' });
      continue;
    }
    const before = states.get(event.subject_id) ?? stored.get(event.subject_id) ?? initialState(event.subject_id);
    let after: SubjectState;
    try {
      after = evolve(before, event);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      rejected.push({ message, reason: `not applicable: ${error.reason}` });
      continue;
    }
    states.set(event.subject_id, after);
    const notice = noticeFor(before, after, event, { partition, offset: message.offset }, views);
    if (notice) notices.push(notice);
    if (after !== before) views.forget(before);
  }
  const changed = [...states.values()].filter((state) => state !== stored.get(state.subjectId));
  return { changed, notices, rejected, views };
}

/**
 * A consent.log record decoded as the fold takes it: an undecodable one carries its DecodeError
 * kind (for consent.dlq); anything else (a registry outage, a payload type from a newer Lethe) is
 * thrown, for the caller to retry or stop on.
 */
export async function decodeRecord(codec: Pick<ConsentEventCodec, 'decode'>, message: KafkaMessage): Promise<DecodedRecord> {
  try {
    return { message, event: await codec.decode(message.value) };
  } catch (error) {
    if (error instanceof DecodeError) return { message, problem: error.kind, detail: error.message };
    throw error;
  }
}
