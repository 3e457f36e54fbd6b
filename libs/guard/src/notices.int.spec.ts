import { Admin, Partitioners, Producer } from 'kafkajs';
import { ConsentStateCodec, OptOutNotice, OptOutNoticeCodec, subjectsFor, topicsFor } from '@lethe/contracts';
import { createLetheTopics, freshTopicSet, stateOfKind, testEndpoints, testKafka, waitFor, writeNotices, writeStateRecords } from '@lethe/testing';
import { ConsentGuard } from '.';

function notice(subject_id: string, version: number, change: OptOutNotice['change']): OptOutNotice {
  return {
    subject_id,
    version,
    change,
    cause: change === 'RESTRICTED' ? 'WITHDRAWN' : 'GRANTED',
    all: false,
    purposes: ['marketing'],
    opt_outs: [],
    jurisdiction: 'GDPR',
    effective_at: Date.now(),
    recorded_at: Date.now(),
    cause_event_id: `event-${subject_id}-${version}`,
    log_partition: 0,
    log_offset: version,
  };
}

describe('ConsentGuard with consent.opt-outs', () => {
  const kafka = testKafka('guard-notices');
  const registryUrl = testEndpoints().schemaRegistryUrl;
  let admin: Admin;
  let producer: Producer;
  let topicSet: ReturnType<typeof freshTopicSet>;
  let guard: ConsentGuard;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    topicSet = freshTopicSet(admin);
  });

  afterAll(async () => {
    await guard?.stop();
    await topicSet.drop();
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('restricts at the notice, allows again after a re-grant once its state arrives, and tells each listener once per version', async () => {
    const names = topicsFor(topicSet.prefix);
    await createLetheTopics(admin, names, 1); // one partition: the sentinel below comes after everything before it
    const subjects = subjectsFor(names);
    const states = ConsentStateCodec.forRegistry(registryUrl, subjects.consentStateValue);
    const notices = OptOutNoticeCodec.forRegistry(registryUrl, subjects.optOutsValue);
    const subject = 'regrant-1';
    await writeStateRecords(producer, states, names.consentState, [{ key: subject, state: stateOfKind(subject, 0, 1) }]); // marketing granted

    guard = ConsentGuard.create({ kafka, schemaRegistryUrl: registryUrl, topicPrefix: topicSet.prefix, service: 'notices-test', metrics: false });
    const restricted: OptOutNotice[] = [];
    const allowed: OptOutNotice[] = [];
    const sentinels: OptOutNotice[] = [];
    guard.onRestricted((n) => (n.subject_id === subject ? restricted : sentinels).push(n));
    guard.onAllowed((n) => allowed.push(n));
    await guard.start();
    await guard.ready(30_000);
    expect(guard.allowed(subject, 'marketing')).toEqual({ allowed: true, reason: 'granted', version: 1, stale: false });

    // Withdrawal: the notice (published twice, as after a projector crash) restricts before its state arrives.
    await writeNotices(producer, notices, names.optOuts, [notice(subject, 2, 'RESTRICTED'), notice(subject, 2, 'RESTRICTED')]);
    await waitFor(() => guard.allowed(subject, 'marketing').reason === 'withdrawn', { description: 'the withdrawal notice to restrict' });
    expect(guard.allowed(subject, 'marketing')).toMatchObject({ allowed: false, version: 2 });
    expect(guard.allowed(subject, 'analytics').allowed).toBe(true);
    await writeStateRecords(producer, states, names.consentState, [{ key: subject, state: stateOfKind(subject, 1, 2) }]); // marketing withdrawn

    // Re-grant: the ALLOWED notice alone does not allow; its state does.
    await writeNotices(producer, notices, names.optOuts, [notice(subject, 3, 'ALLOWED'), notice(subject, 3, 'ALLOWED'), { ...notice('sentinel', 1, 'RESTRICTED') }]);
    await waitFor(() => sentinels.length === 1, { description: 'the notices up to the sentinel' });
    expect(guard.allowed(subject, 'marketing')).toMatchObject({ allowed: false, reason: 'withdrawn' });
    await writeStateRecords(producer, states, names.consentState, [{ key: subject, state: stateOfKind(subject, 0, 3) }]); // granted again
    await waitFor(() => guard.allowed(subject, 'marketing').allowed, { description: 'the re-grant to allow' });
    expect(guard.allowed(subject, 'marketing')).toEqual({ allowed: true, reason: 'granted', version: 3, stale: false });

    expect(restricted.map((n) => n.version)).toEqual([2]);
    expect(allowed.map((n) => n.version)).toEqual([3]);
  });
});
