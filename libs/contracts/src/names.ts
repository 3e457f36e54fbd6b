/**
 * Every name Lethe shares with Kafka and the schema registry, in one place: topics, consumer
 * groups, registry subjects and record headers.
 */
export interface TopicNames {
  /** Append-only source of truth, keyed by subject id, kept forever. */
  consentLog: string;
  /** Compacted: the latest consent state of each subject. */
  consentState: string;
  /** Records no consumer could process, with the reason in headers. */
  consentDlq: string;
  /** Kept forever: every change in what downstream services may do with a subject (docs/adr/0014). */
  optOuts: string;
  /** Kept forever: signed checkpoints of consent.log's hash chain (docs/adr/0017). */
  consentAudit: string;
}

/**
 * Lethe's topics under a prefix (LETHE_TOPIC_PREFIX, e.g. `staging.`), so several environments
 * can share one cluster, and each test can have topics of its own. The empty prefix gives the
 * plain names: consent.log, consent.state, consent.dlq, consent.opt-outs, consent.audit.
 */
export function topicsFor(prefix: string): TopicNames {
  return {
    consentLog: `${prefix}consent.log`,
    consentState: `${prefix}consent.state`,
    consentDlq: `${prefix}consent.dlq`,
    optOuts: `${prefix}consent.opt-outs`,
    consentAudit: `${prefix}consent.audit`,
  };
}

/** Consumer groups under the same prefix as the topics, so environments never share a group. */
export function consumerGroupsFor(prefix: string) {
  return {
    projector: `${prefix}lethe.projector`,
    /** One group per downstream system, so each keeps its own offsets and pace. */
    erasureWorker: (system: string) => `${prefix}lethe.erasure.${system}`,
    checkpointer: `${prefix}lethe.checkpointer`,
  };
}

/** TopicNameStrategy: one subject per topic value (docs/adr/0003-event-envelope.md). */
export function subjectsFor(topics: TopicNames) {
  return {
    consentLogValue: `${topics.consentLog}-value`,
    consentStateValue: `${topics.consentState}-value`,
    optOutsValue: `${topics.optOuts}-value`,
  };
}

export const HEADERS = {
  /** On consent.opt-outs: RESTRICTED or ALLOWED, so subscribers can filter without decoding. */
  noticeChange: 'lethe-notice-change',
  /** The payload type of a consent.log record, so consumers can filter without decoding. */
  eventType: 'lethe-event-type',
  /** A DecodeError kind (not_avro, unknown_schema, corrupt_datum) or the fold's reason; no personal data. */
  dlqReason: 'lethe-dlq-reason',
  /** The reason explained for people: schema ids and offsets only. */
  dlqDetail: 'lethe-dlq-detail',
  dlqSourceTopic: 'lethe-dlq-source-topic',
  dlqSourcePartition: 'lethe-dlq-source-partition',
  dlqSourceOffset: 'lethe-dlq-source-offset',
  dlqConsumerGroup: 'lethe-dlq-consumer-group',
  /** On a record re-driven onto consent.log: the dead letter it came from, as topic:partition:offset. */
  redrivenFrom: 'lethe-redriven-from',
  /** On a marker on consent.dlq: the letter (partition:offset) that was re-driven... */
  dlqRedriveOf: 'lethe-dlq-redrive-of',
  /** ...and where its copy landed (topic:partition:offset). */
  dlqRedrivenTo: 'lethe-dlq-redriven-to',
} as const;
