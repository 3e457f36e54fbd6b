import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { brokerStillStarting } from './startup';

/** The error kafkajs raises for a protocol error code (as its own decoder builds it). */
function protocolError(type: string, code: number): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, code, retriable: true, message: `${type} from the broker` } as unknown as Error);
}

describe('brokerStillStarting', () => {
  it("recognises a loading coordinator, also once kafkajs' own retries gave up on it", () => {
    const loading = protocolError('GROUP_LOAD_IN_PROGRESS', 14);
    expect(brokerStillStarting(loading)).toBe(true);
    expect(brokerStillStarting(new KafkaJSNumberOfRetriesExceeded(loading, { retryCount: 8, retryTime: 30_000 }))).toBe(true);
    expect(brokerStillStarting(protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', 15))).toBe(true);
  });

  it('waits for a topic just created that a broker does not know yet (a busy machine)', () => {
    const unknown = protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3);
    expect(brokerStillStarting(new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 5, retryTime: 10_000 }))).toBe(true);
  });

  it('leaves other errors to fail start-up at once', () => {
    expect(brokerStillStarting(protocolError('TOPIC_AUTHORIZATION_FAILED', 29))).toBe(false);
    expect(brokerStillStarting(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'))).toBe(false);
    expect(brokerStillStarting(new Error('anything else'))).toBe(false);
    expect(brokerStillStarting(undefined)).toBe(false);
  });
});
