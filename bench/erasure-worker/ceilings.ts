/**
 * The bare ceilings of the erasure worker's three connectors: what each system's own client does
 * when a plain loop issues, with the worker's concurrency, exactly what the connector issues per
 * step, on data of the same shape seeded for the purpose. No decoding, no keys, no acknowledgements.
 */
import type { Kafka } from 'kafkajs';
import type Redis from 'ioredis';
import { Pool } from 'pg';
import { ACKS_ALL, createSafeProducer } from '@lethe/kafka';
import { DEFAULT_STEPS_PER_TRANSACTION, ledgerKey, LEDGER_TTL_SECONDS, type SqlConnectorConfig } from '@lethe/connectors';
import { ErasureLedger } from '../../libs/connectors/src/sql/erasure-ledger';
import { modeOf, planErasure } from '../../libs/connectors/src/sql/erasure-plan';
import { stepStatement } from '../../libs/connectors/src/sql/sql-statements';

import { rate } from '../common';

/** Runs `step(0..count-1)` with `concurrency` in flight; resolves with the rate per second. */
async function inParallel(count: number, concurrency: number, step: (n: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await step(next++);
    }),
  );
  return rate(count, Date.now() - started);
}

/**
 * The sql connector's transactions as it issues them under load: `poolSize` connections, each
 * running transactions of `stepsPerTransaction` subjects set-wise (begin and time zone, one ledger
 * claim for all, each of the plan's statements once with every subject's value, counting rows per
 * subject, one ledger record, commit; docs/adr/0028).
 */
export async function sqlCeiling(config: SqlConnectorConfig, subjects: string[]): Promise<number> {
  const poolSize = config.poolSize ?? 4;
  const perTransaction = config.stepsPerTransaction ?? DEFAULT_STEPS_PER_TRANSACTION;
  const pool = new Pool({ connectionString: config.url, max: poolSize });
  const ledger = new ErasureLedger(config.schema, config.system);
  const steps = planErasure(config, modeOf({ keepTransactionHistory: true })) ?? [];
  const batches = Array.from({ length: Math.ceil(subjects.length / perTransaction) }, (_, i) => subjects.slice(i * perTransaction, (i + 1) * perTransaction));
  try {
    const setup = await pool.connect();
    await ledger.ensureExists(setup);
    setup.release();
    const batchesPerSecond = await inParallel(batches.length, poolSize, async (n) => {
      const client = await pool.connect();
      try {
        const batch = batches[n];
        await client.query(`begin; set local time zone 'UTC'`);
        await ledger.claim(client, batch.map((subject) => `bare-${subject}`));
        const counts = batch.map((): Record<string, number> => ({}));
        for (const step of steps) {
          const statement = stepStatement(config, step, batch.map((value, owner) => ({ value, owner })), false);
          for (const { owner } of (await client.query<{ owner: number }>(statement.text, statement.values)).rows) counts[owner][step.table] = (counts[owner][step.table] ?? 0) + 1;
        }
        await ledger.record(client, new Map(batch.map((subject, owner) => [`bare-${subject}`, { action: 'delete', counts: counts[owner], strategies: {}, legalHold: null }])));
        await client.query('commit');
      } finally {
        client.release();
      }
    });
    return (batchesPerSecond * subjects.length) / batches.length;
  } finally {
    await pool.end();
  }
}

/** The cache connector's commands per subject: ledger GET, DEL of the key, ledger SET NX EX. */
export function cacheCeiling(redis: Redis, system: string, keyOf: (subject: string) => string, subjects: string[], concurrency: number): Promise<number> {
  return inParallel(subjects.length, concurrency, async (n) => {
    const work = `bare-${subjects[n]}`;
    await redis.get(ledgerKey(system, work));
    const counts = { [keyOf('{subjectId}')]: await redis.del(keyOf(subjects[n])) };
    await redis.set(ledgerKey(system, work), JSON.stringify({ action: 'delete', counts, strategies: {}, legalHold: null }), 'EX', LEDGER_TTL_SECONDS, 'NX');
  });
}

/** The kafka connector's tombstone per subject, one send each (acks=all, idempotent producer). */
export async function kafkaCeiling(kafka: Kafka, topic: string, subjects: string[], concurrency: number): Promise<number> {
  const producer = createSafeProducer(kafka);
  await producer.connect();
  try {
    return await inParallel(subjects.length, concurrency, async (n) => void (await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: subjects[n], value: null }] })));
  } finally {
    await producer.disconnect();
  }
}
