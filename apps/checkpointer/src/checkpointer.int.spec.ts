import { logLevel } from 'kafkajs';
import { EMPTY_HEAD, headerList, openNote, parseAuditRecord, parseCheckpoint, parseVerifierKey, privateKeyFromSeed, recordDigest, SignedCheckpoint, verifierKey, verifyPartition } from '@lethe/certificates';
import { topicsFor } from '@lethe/contracts';
import { createKafka, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { collectMessages, freshDatabase, freshTopicSet, testEndpoints, waitFor, waitForMessages } from '@lethe/testing';
import { CHECKPOINT_KEY_NAME } from './chain-lane';
import { ChainStore, CheckpointRow, StoredHead } from './chain-store';
import { Checkpointer } from './checkpointer';

// The crash the design is about: a checkpoint is on consent.audit, then PostgreSQL fails before
// the head moves. The checkpointer must chain the same records again and write the same note
// again: no record skipped, none counted twice, and the log still verifies.

jest.setTimeout(90_000);

/** A store whose first commit fails, as if the process died just after the audit write. */
class FailsOnce extends ChainStore {
  failures = 0;
  override async advance(from: StoredHead, checkpoint: CheckpointRow): Promise<boolean> {
    if (this.failures === 0) {
      this.failures += 1;
      throw new Error('PostgreSQL went away');
    }
    return super.advance(from, checkpoint);
  }
}

it('writes the same checkpoint again after a failure between consent.audit and PostgreSQL, and the chain holds', async () => {
  const kafka = createKafka({ brokers: testEndpoints().kafkaBrokers, clientId: 'checkpointer-int', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = createSafeProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  const set = freshTopicSet(admin);
  const names = topicsFor(set.prefix);
  const database = await freshDatabase();
  const key = privateKeyFromSeed(Buffer.alloc(32, 5));
  const store = new FailsOnce(database.db);
  const checkpointer = new Checkpointer({
    kafka,
    producer,
    store,
    key,
    logTopic: names.consentLog,
    auditTopic: names.consentAudit,
    groupId: `${set.prefix}lethe.checkpointer`,
    everyRecords: 5,
    intervalMs: 3_600_000, // only whole chunks of 5: the test decides every boundary
    onFatal: (error) => {
      throw error;
    },
  });
  try {
    await ensureTopics(admin, { names, partitions: 1, replicationFactor: 1, minInsyncReplicas: 1 });
    await producer.send({ topic: names.consentLog, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `subj-${i}`, value: Buffer.from(`record ${i}`), headers: { n: String(i) } })) });
    await checkpointer.start();
    await waitFor(async () => (await store.heads(names.consentLog)).get(0)?.next === 10n, { description: 'the chain head at offset 10', timeoutMs: 60_000 });
    expect(store.failures).toBe(1);

    const readers = [kafka.consumer({ groupId: `${set.prefix}audit-reader` }), kafka.consumer({ groupId: `${set.prefix}log-reader` })];
    await Promise.all(readers.map((r) => r.connect()));
    const audit = await waitForMessages(await collectMessages(readers[0], names.consentAudit), 3);
    const log = await waitForMessages(await collectMessages(readers[1], names.consentLog), 10);
    await Promise.all(readers.map((r) => r.disconnect()));
    expect(audit).toHaveLength(3);
    const verifier = parseVerifierKey(verifierKey(CHECKPOINT_KEY_NAME, key));
    const records = audit.map(({ message }) => ({ ...parseAuditRecord(message.value), offset: message.offset }));
    // The first checkpoint twice, byte for byte (Ed25519 is deterministic), then the second.
    expect(records.map((r) => parseCheckpoint(openNote(r.note, verifier)).size)).toEqual([5n, 5n, 10n]);
    expect(records[1].note).toBe(records[0].note);
    const rows: { size: string; audit_offset: string }[] = await database.db.query(`select size::text, audit_offset::text from log_checkpoints order by log_checkpoints.size`);
    expect(rows).toEqual([
      { size: '5', audit_offset: '1' },
      { size: '10', audit_offset: '2' },
    ]);

    const checkpoints: SignedCheckpoint[] = records.map((r) => ({ ...parseCheckpoint(openNote(r.note, verifier)), auditOffset: r.offset, entries: r.entries }));
    const actual = log.map(({ message }) => ({ offset: BigInt(message.offset), digest: recordDigest({ key: message.key, value: message.value, headers: headerList(message.headers) }).toString('base64') }));
    expect(verifyPartition(checkpoints, actual)).toEqual({ status: 'verified', checkpoints: 3, covered: '10', uncovered: 0 });
  } finally {
    await checkpointer.stop();
    await producer.disconnect();
    await set.drop();
    await admin.disconnect();
    await database.drop();
  }
});

it('moves a chain head only from the head it was read at, so a member that lost the partition writes nothing', async () => {
  const database = await freshDatabase();
  try {
    const store = new ChainStore(database.db);
    const row = (size: bigint, hash: Buffer): CheckpointRow => ({ topic: 'consent.log', partition: 3, size, hash, note: `note ${size}\n`, auditOffset: String(size) });
    const fresh = { next: 0n, head: EMPTY_HEAD };
    expect(await store.advance(fresh, row(5n, Buffer.alloc(32, 1)))).toBe(true);
    // A stale member that still believes the chain is empty, or at another head, is refused.
    expect(await store.advance(fresh, row(7n, Buffer.alloc(32, 2)))).toBe(false);
    expect(await store.advance({ next: 5n, head: Buffer.alloc(32, 9) }, row(9n, Buffer.alloc(32, 3)))).toBe(false);
    expect(await store.advance({ next: 5n, head: Buffer.alloc(32, 1) }, row(10n, Buffer.alloc(32, 4)))).toBe(true);
    expect((await store.heads('consent.log')).get(3)).toEqual({ next: 10n, head: Buffer.alloc(32, 4) });
    const sizes: { size: string }[] = await database.db.query(`select size::text from log_checkpoints order by log_checkpoints.size`);
    expect(sizes.map((r) => r.size)).toEqual(['5', '10']);
  } finally {
    await database.drop();
  }
});
