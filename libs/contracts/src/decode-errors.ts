/**
 * Why a consent.log record could not be decoded, kafkajs style: whether to retry is a property of
 * the error. Messages name schema ids, offsets and type names only, never record contents.
 */

/** What is wrong with the bytes themselves; the record goes to consent.dlq with this as its reason. */
export type DecodeErrorKind =
  /** Not the Confluent wire format: no magic byte 0 and schema id in front. */
  | 'not_avro'
  /** A schema id that a healthy registry does not know, or a schema that is not this topic's. */
  | 'unknown_schema'
  /** The Avro body does not match the schema it names. */
  | 'corrupt_datum';

/** A record that can never be read, whatever is retried. Not retriable: it goes to the dead-letter topic. */
export class DecodeError extends Error {
  readonly retriable = false;
  constructor(
    readonly kind: DecodeErrorKind,
    detail: string,
  ) {
    super(`undecodable record (${kind}): ${detail}`);
    this.name = 'DecodeError';
  }
}

/**
 * The registry refused the connection, timed out or answered an error (5xx, 401, 403, 409, or a
 * 404 while it cannot show that it is healthy). The record is fine; retry it, never dead-letter it.
 */
export class RegistryUnavailableError extends Error {
  readonly retriable = true;
  constructor(detail: string) {
    super(`schema registry unavailable: ${detail}`);
    this.name = 'RegistryUnavailableError';
  }
}

/**
 * A well-formed event of a payload type this build does not know: a newer Lethe wrote it.
 * Neither retriable nor a bad record: consumers stop and ask for an upgrade
 * (docs/adr/0008-registry-outages-and-unknown-payload-types.md).
 */
export class UnknownPayloadTypeError extends Error {
  readonly retriable = false;
  constructor(readonly payloadType: string) {
    super(`payload type ${payloadType} is unknown to this version of Lethe, written by a newer one (upgrade needed)`);
    this.name = 'UnknownPayloadTypeError';
  }
}

/**
 * The fatal error a consumer stops with on such a record; `position` names topic, partition and
 * offset. Short enough to survive the one-line summaries of the logs.
 */
export function upgradeNeeded(error: UnknownPayloadTypeError, position: string, consumer: string): Error {
  return new Error(`${position}: ${error.message}. The ${consumer} stops here, skipping and dead-lettering nothing; once upgraded it resumes from this record.`);
}
