/**
 * Every name Lethe shares with Kafka and the schema registry, in one place: topics, consumer
 * groups, registry subjects and record headers.
 */

/**
 * LETHE_TOPIC_PREFIX puts an installation's topics, and with them its registry subjects, under a
 * prefix, so several installations share a cluster (or a test runs on topics of its own). Every
 * app reads it here, once, so they all agree; a bad value stops the app as it loads.
 */
export function topicPrefix(raw: string | undefined): string {
  if (!raw) return '';
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(raw)) throw new Error(`LETHE_TOPIC_PREFIX may hold only letters, digits, '.', '_' and '-' (at most 100), got "${raw}"`);
  return raw; // used as given: 'staging.' gives staging.consent.log
}

const prefix = topicPrefix(process.env.LETHE_TOPIC_PREFIX);

export const TOPICS = {
  /** Append-only source of truth, keyed by subject id, kept forever. */
  consentLog: `${prefix}consent.log`,
  /** Compacted: the latest consent state of each subject. */
  consentState: `${prefix}consent.state`,
  /** Records no consumer could process, with the reason in headers. */
  consentDlq: `${prefix}consent.dlq`,
} as const;

export const CONSUMER_GROUPS = {
  projector: 'lethe.projector',
  /** One group per downstream system, so each keeps its own offsets and pace. */
  erasureWorker: (system: string) => `lethe.erasure.${system}`,
} as const;

/** TopicNameStrategy: one subject per topic value (docs/adr/0003-event-envelope.md). */
export const SUBJECTS = {
  consentLogValue: `${TOPICS.consentLog}-value`,
  consentStateValue: `${TOPICS.consentState}-value`,
} as const;

export const HEADERS = {
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
