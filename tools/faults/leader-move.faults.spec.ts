import { randomBytes } from 'node:crypto';
import { ACKS_ALL, createKafka, createSafeProducer } from '@lethe/kafka';
import { waitFor } from '@lethe/testing';
import { Cluster } from './cluster';

// One send holding records for two partitions led by two nodes, while the first partition's
// leadership has moved to the node that leads the second (the producer's metadata not yet told).
// kafkajs sends each node its share; node 1 refuses (no longer the leader), node 2 writes its
// share; kafkajs retries with fresh metadata but skips every node that already answered in this
// send, so the moved partition's records go nowhere and the send resolves as if all were written.
// This is what a leader failover or a preferred-leader election does to a group-commit request
// or a projector's consent.state publication: acknowledged records that are on no log.
it('writes every record of a send whose partition moved to a node that already answered it', async () => {
  const cluster = new Cluster();
  const kafka = createKafka({ brokers: cluster.bootstrap, clientId: 'lethe-faults-leader-move' });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `faults.leader-move.${randomBytes(4).toString('hex')}`;
  const producer = createSafeProducer(kafka);
  const leaderOf = async (partition: number) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.find((p) => p.partitionId === partition)?.leader;
  const ends = async () => (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1, 3] }, { partition: 1, replicas: [2, 3] }] }] });
    await waitFor(async () => (await leaderOf(0)) === 1 && (await leaderOf(1)) === 2, { description: 'partition 0 led by node 1, partition 1 by node 2', timeoutMs: 30_000, intervalMs: 200 });
    await producer.connect();
    // The producer learns where each partition is led.
    await producer.send({ topic, acks: ACKS_ALL, messages: [{ partition: 0, value: 'first' }, { partition: 1, value: 'first' }] });

    // Partition 0 moves to nodes 2 and 3; node 2, the first of them, takes its leadership.
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
    await waitFor(async () => (await leaderOf(0)) === 2 && (await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] })).topics.length === 0, {
      description: 'partition 0 reassigned to nodes 2 and 3, led by node 2',
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    const acknowledged = await producer.send({ topic, acks: ACKS_ALL, messages: [{ partition: 0, value: 'second' }, { partition: 1, value: 'second' }] });
    expect(await ends()).toEqual([2, 2]);
    expect(acknowledged.map((r) => r.partition).sort()).toEqual([0, 1]);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
