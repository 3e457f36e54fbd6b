import type { OptOutNotice } from '@lethe/contracts';
import { LetheTopics, stateOfKind, testEndpoints, testKafka, waitFor } from '@lethe/testing';
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
  let topics: LetheTopics;
  let guard: ConsentGuard;

  beforeAll(async () => {
    topics = await LetheTopics.create(kafka, 1); // one partition: the sentinel below comes after everything before it
  });

  afterAll(async () => {
    await guard?.stop();
    await topics.drop();
  });

  it('restricts at the notice, allows again after a re-grant once its state arrives, and tells each listener once per version', async () => {
    const subject = 'regrant-1';
    await topics.writeStates([{ key: subject, state: stateOfKind(subject, 0, 1) }]); // marketing granted

    guard = ConsentGuard.create({ kafka, schemaRegistryUrl: registryUrl, topicPrefix: topics.prefix, service: 'notices-test', metrics: false });
    const restricted: OptOutNotice[] = [];
    const allowed: OptOutNotice[] = [];
    const sentinels: OptOutNotice[] = [];
    guard.onRestricted((n) => (n.subject_id === subject ? restricted : sentinels).push(n));
    guard.onAllowed((n) => allowed.push(n));
    await guard.start();
    await guard.ready(30_000);
    expect(guard.allowed(subject, 'marketing')).toEqual({ allowed: true, reason: 'granted', version: 1, stale: false });

    // Withdrawal: the notice (published twice, as after a projector crash) restricts before its state arrives.
    await topics.writeNotices([notice(subject, 2, 'RESTRICTED'), notice(subject, 2, 'RESTRICTED')]);
    await waitFor(() => guard.allowed(subject, 'marketing').reason === 'withdrawn', { description: 'the withdrawal notice to restrict' });
    expect(guard.allowed(subject, 'marketing')).toMatchObject({ allowed: false, version: 2 });
    expect(guard.allowed(subject, 'analytics').allowed).toBe(true);
    await topics.writeStates([{ key: subject, state: stateOfKind(subject, 1, 2) }]); // marketing withdrawn

    // Re-grant: the ALLOWED notice alone does not allow; its state does.
    await topics.writeNotices([notice(subject, 3, 'ALLOWED'), notice(subject, 3, 'ALLOWED'), { ...notice('sentinel', 1, 'RESTRICTED') }]);
    await waitFor(() => sentinels.length === 1, { description: 'the notices up to the sentinel' });
    expect(guard.allowed(subject, 'marketing')).toMatchObject({ allowed: false, reason: 'withdrawn' });
    await topics.writeStates([{ key: subject, state: stateOfKind(subject, 0, 3) }]); // granted again
    await waitFor(() => guard.allowed(subject, 'marketing').allowed, { description: 'the re-grant to allow' });
    expect(guard.allowed(subject, 'marketing')).toEqual({ allowed: true, reason: 'granted', version: 3, stale: false });

    expect(restricted.map((n) => n.version)).toEqual([2]);
    expect(allowed.map((n) => n.version)).toEqual([3]);
  });
});
