import { ICustomPartitioner, Message, Partitioners, Producer, ProducerBatch, RecordMetadata, TopicMessages } from 'kafkajs';

/**
 * A producer whose sends resolve only once every partition they wrote to acknowledged its records.
 *
 * kafkajs (2.2.4, producer/sendMessages.js) retries a failed send with fresh metadata but skips
 * every node that already answered in that send. A partition whose leadership moved to such a
 * node (a failover, a preferred-leader election, a reassignment) has its records sent nowhere,
 * and the send resolves as if all were written: acknowledged records on no log
 * (tools/faults/leader-move.faults.spec.ts). So the partitioner notes where it put each message,
 * and after each send the records of every partition missing from the acknowledgements are sent
 * again, in their order, before the send resolves. They were never written (else their partition
 * would have answered), or, if a dying leader wrote them unanswered, the idempotent producer's
 * sequence or the fold's event ids absorb the copy.
 */
export function acknowledgingEveryPartition(build: (createPartitioner: ICustomPartitioner) => Producer): Producer {
  const partitionOf = new WeakMap<Message, number>();
  const recording: ICustomPartitioner = () => {
    const partition = Partitioners.DefaultPartitioner();
    return (args) => {
      const chosen = partition(args);
      partitionOf.set(args.message, chosen);
      return chosen;
    };
  };
  const producer = build(recording);
  const sendOnce = producer.sendBatch;

  const unacknowledged = (sent: TopicMessages[], answered: RecordMetadata[]): TopicMessages[] => {
    const written = new Set(answered.map((r) => `${r.topicName}\u0000${r.partition}`));
    return sent
      .map(({ topic, messages }) => ({
        topic,
        messages: messages.filter((message) => {
          const partition = partitionOf.get(message);
          if (partition === undefined) throw new Error(`a send to ${topic} was answered for a record never partitioned`);
          return !written.has(`${topic}\u0000${partition}`);
        }),
      }))
      .filter(({ messages }) => messages.length > 0);
  };

  const sendBatch = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    let pending = batch.topicMessages ?? [];
    const acknowledged: RecordMetadata[] = [];
    // acks=0 answers nothing to check (Lethe never sends so: ACKS_ALL).
    if (batch.acks === 0) return sendOnce(batch);
    while (pending.length > 0) {
      const answered = await sendOnce({ ...batch, topicMessages: pending });
      acknowledged.push(...answered);
      pending = unacknowledged(pending, answered);
      if (pending.length > 0) {
        const records = pending.reduce((sum, { messages }) => sum + messages.length, 0);
        producer.logger().warn(`a send was answered without ${records} of its records (their partition's leadership moved); sending them again`);
      }
    }
    return acknowledged;
  };

  producer.sendBatch = sendBatch;
  producer.send = ({ topic, messages, ...options }) => sendBatch({ ...options, topicMessages: [{ topic, messages }] });
  return producer;
}
