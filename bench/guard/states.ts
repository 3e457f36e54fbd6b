import { ConsentState, ConsentStateCodec } from '@lethe/contracts';
import { ACKS_ALL } from '@lethe/kafka';
import type { Producer } from 'kafkajs';
import { log } from '../common';

/** The nth subject's id: the same in every process of a run. */
export const subjectId = (n: number) => `subj-${n.toString().padStart(8, '0')}`;

/**
 * A varied consent.state: most subjects granted one or two purposes; every 5th withdrew
 * marketing, every 17th opted out of sale, every 29th objected, every 41st was erased (and
 * every other of those granted marketing again after).
 */
export function stateOf(n: number): ConsentState {
  const at = Date.UTC(2026, 0, 1) + n;
  const purposes: ConsentState['purposes'] = {
    marketing: { status: n % 5 === 0 ? 'WITHDRAWN' : 'GRANTED', policy_version: 'privacy-v3', at, version: n % 41 === 0 && n % 2 === 0 ? 3 : 1 },
  };
  if (n % 3 === 0) purposes.analytics = { status: 'GRANTED', policy_version: 'privacy-v3', at, version: 1 };
  return {
    subject_id: subjectId(n),
    version: 3,
    updated_at: at,
    purposes,
    opt_outs: n % 17 === 0 ? ['SALE'] : [],
    objections: n % 29 === 0 ? ['profiling'] : [],
    erasure: n % 41 === 0 ? 'COMPLETED' : 'NONE',
    erasures: n % 41 === 0 ? [{ scope: 'ALL', purposes: [], version: 2, open: false }] : [],
  };
}

/** Writes `total` states to consent.state in requests of 5,000 records; returns the average value size. */
export async function writeStates(producer: Producer, codec: ConsentStateCodec, topic: string, total: number): Promise<number> {
  let bytes = 0;
  for (let sent = 0; sent < total; ) {
    const size = Math.min(5_000, total - sent);
    const messages = await Promise.all(
      Array.from({ length: size }, async (_, i) => {
        const value = await codec.encode(stateOf(sent + i));
        bytes += value.length;
        return { key: subjectId(sent + i), value };
      }),
    );
    await producer.send({ topic, acks: ACKS_ALL, messages });
    sent += size;
    if (sent % 200_000 === 0 || sent === total) log(`wrote ${sent}/${total} states`);
  }
  return Math.round(bytes / total);
}
