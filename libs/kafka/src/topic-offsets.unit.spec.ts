import { Admin, KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import { leadershipMoved, topicOffsets } from './topic-offsets';

const notLeader = () => new KafkaJSProtocolError({ type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true, message: 'This server is not the leader for that topic-partition' } as unknown as Error);
const ends = [{ partition: 0, offset: '7', high: '7', low: '0' }];

/** An admin whose cached metadata is stale until it reconnects, as kafkajs' is after a leader election. */
function staleAdmin(failures: number) {
  const calls = { fetch: 0, reconnects: 0 };
  let stale = failures;
  const admin = {
    fetchTopicOffsets: async () => {
      calls.fetch += 1;
      if (stale > 0) throw notLeader();
      return ends;
    },
    disconnect: async () => undefined,
    connect: async () => {
      calls.reconnects += 1;
      stale -= 1;
    },
  } as unknown as Admin;
  return { admin, calls };
}

describe('topicOffsets', () => {
  it('reconnects for fresh metadata when the leader moved, and answers once it has', async () => {
    const { admin, calls } = staleAdmin(2);
    await expect(topicOffsets(admin, 'consent.log')).resolves.toEqual(ends);
    expect(calls).toEqual({ fetch: 3, reconnects: 2 });
  });

  it('gives up with the broker’s error once its patience is spent', async () => {
    const { admin } = staleAdmin(Number.POSITIVE_INFINITY);
    await expect(topicOffsets(admin, 'consent.log', 600)).rejects.toThrow('not the leader');
  });

  it('does not retry an error that a fresh look cannot fix', async () => {
    const { admin, calls } = staleAdmin(0);
    (admin as unknown as { fetchTopicOffsets: () => Promise<never> }).fetchTopicOffsets = async () => {
      calls.fetch += 1;
      throw new KafkaJSProtocolError({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'not authorized' } as unknown as Error);
    };
    await expect(topicOffsets(admin, 'consent.log')).rejects.toThrow('not authorized');
    expect(calls).toEqual({ fetch: 1, reconnects: 0 });
  });
});

describe('leadershipMoved', () => {
  it('recognises a moved leader and an unreachable broker, also wrapped', () => {
    expect(leadershipMoved(notLeader())).toBe(true);
    expect(leadershipMoved(new Error('gave up', { cause: notLeader() }))).toBe(true);
    expect(leadershipMoved(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:29093'))).toBe(true);
    expect(leadershipMoved(new Error('anything else'))).toBe(false);
  });
});
