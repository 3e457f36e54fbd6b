import { Admin, KafkaMessage, Producer } from 'kafkajs';
import { Kafka } from 'kafkajs';
import { ACKS_ALL } from '@lethe/kafka';
import { logEnds, scanLog } from '../log-scan';

export type Tamper = (partition: number, records: KafkaMessage[]) => KafkaMessage[];

/**
 * Copies every partition of `source` into a new topic `target` with as many partitions, record by
 * record (key, value and headers as they are, in offset order), after `tamper` had its way with
 * each partition's list: what an attacker with write access to a restore would produce.
 */
export async function copyLog(kafka: Kafka, admin: Admin, producer: Producer, source: string, target: string, tamper: Tamper): Promise<void> {
  const ends = await logEnds(kafka, source);
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: target, numPartitions: ends.length, replicationFactor: 1 }] });
  const records = new Map<number, KafkaMessage[]>(ends.map((p) => [p.partition, []]));
  await scanLog(kafka, { topic: source, ends, onRecords: async (partition, messages) => void records.get(partition)?.push(...messages) });
  for (const [partition, list] of records) {
    const messages = tamper(partition, list).map((m) => ({ partition, key: m.key, value: m.value, headers: m.headers }));
    if (messages.length > 0) await producer.send({ topic: target, acks: ACKS_ALL, messages });
  }
}
