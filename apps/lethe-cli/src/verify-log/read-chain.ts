import { Kafka } from 'kafkajs';
import { ChainEntry, headerList, recordDigest } from '@lethe/certificates';
import { logEnds, scanLog } from '../log-scan';
import { Progress } from '../progress';

/** The offset and content digest of every record of `topic`, by partition, as the checkpointer computes them. */
export async function readChain(kafka: Kafka, topic: string, progress: (total: number) => Progress): Promise<Map<number, ChainEntry[]>> {
  const ends = await logEnds(kafka, topic, 'allow');
  const byPartition = new Map<number, ChainEntry[]>(ends.map((p) => [p.partition, []]));
  const bar = progress(ends.reduce((sum, p) => sum + Number(p.end), 0));
  await scanLog(kafka, {
    topic,
    ends,
    onRecords: async (partition, messages) => {
      const entries = byPartition.get(partition) as ChainEntry[];
      for (const m of messages) entries.push({ offset: BigInt(m.offset), digest: recordDigest({ key: m.key, value: m.value, headers: headerList(m.headers) }).toString('base64') });
      bar.advance(messages.length);
    },
  });
  bar.finish();
  return byPartition;
}
