import { fold, isDomainError } from '@lethe/consent-domain';
import { buildCertificate, CERTIFICATE_FORMAT } from './certificate';
import { certifiableRequest, SPEC_CHECKPOINT_VKEY, specCheckpoint } from '@lethe/testing';
import { citedPositions } from './certificate';
import { verifyCitedCheckpoint } from './cited-checkpoint';
import { parseVerifierKey, verifierKey } from './log-chain/note';
import { privateKeyFromSeed } from './keys';

const issuedAt = Date.UTC(2026, 0, 6);

it('names every system with what it did and the first event that completed it', () => {
  const { subjectId, request, log, events, checkpoint } = certifiableRequest();
  const certificate = buildCertificate({ subjectId, checkpoint, request, events: [...events].reverse(), issuedAt });
  expect(certificate).toMatchObject({
    format: CERTIFICATE_FORMAT,
    issuer: 'lethe',
    issuedAt: '2026-01-06T00:00:00.000Z',
    requestId: 'dsr-1',
    subjectId,
    jurisdiction: 'GDPR',
    requestedAt: '2026-01-05T09:00:00.000Z',
    completedAt: '2026-01-05T09:00:04.000Z',
    extension: { reason: 'complex request', at: '2026-01-05T09:00:01.000Z', event: { offset: '101', eventId: log[1].event_id } },
    events: {
      requested: { topic: 'consent.log', partition: 4, offset: '100', eventId: log[0].event_id },
      completed: { offset: '105', eventId: log[5].event_id },
    },
  });
  expect(certificate.dueAt).toBe(new Date(request.dueAt as number).toISOString());
  expect(certificate.systems.map((s) => [s.system, s.status, s.action, s.event.offset, s.event.eventId])).toEqual([
    ['a', 'completed', 'delete', '103', log[3].event_id],
    ['b', 'completed', 'anonymize', '102', log[2].event_id],
  ]);
  expect(certificate.systems[0]).toMatchObject({ counts: { rows: 2 }, strategies: {}, legalHold: null, at: '2026-01-05T09:00:03.000Z', evidenceHash: 'a'.repeat(64) });
  expect(certificate.systems[1].strategies).toEqual({ 'customers.email': 'hmac', 'customers.name': 'redact', 'orders.placed_at': 'year', 'payments.card_holder': 'sha256' });
});

it('states per system which fields were pseudonymized (still linkable) and which anonymized', () => {
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  const [deleted, anonymized] = buildCertificate({ subjectId, checkpoint, request, events, issuedAt }).systems;
  expect(deleted).toMatchObject({ pseudonymized: [], anonymized: [] });
  // A keyed hash, and the unkeyed sha256 an older step may name, are pseudonyms, not anonymization.
  expect(anonymized).toMatchObject({ pseudonymized: ['customers.email', 'payments.card_holder'], anonymized: ['customers.name', 'orders.placed_at'] });
});

it('refuses a request that is still open, with a reason clients can branch on', () => {
  const { subjectId, log, events, checkpoint } = certifiableRequest();
  const open = fold(log.slice(0, 3), subjectId).erasureRequests['dsr-1'];
  const attempt = () => buildCertificate({ subjectId, checkpoint, request: open, events, issuedAt });
  expect(attempt).toThrow(expect.objectContaining({ code: 'illegal_state', reason: 'request_not_complete' }));
});

it('refuses a completed request while a system that joined later has not erased, or failed', () => {
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  for (const status of ['pending', 'failed'] as const) {
    const late = { ...request, systems: { ...request.systems, late: { status, at: null, eventId: null } } };
    expect(() => buildCertificate({ subjectId, checkpoint, request: late, events, issuedAt })).toThrow(expect.objectContaining({ code: 'illegal_state', reason: 'late_step_not_completed' }));
  }
});

it('refuses to certify without the log position of every cited event', () => {
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  for (const missing of [[0], [1], [3], [5, 6]]) {
    try {
      buildCertificate({ subjectId, checkpoint, request, events: events.filter((_, i) => !missing.includes(i)), issuedAt });
      throw new Error(`built without event ${missing}`);
    } catch (error) {
      expect(isDomainError(error) && error.reason).toBe('log_coordinates_missing');
    }
  }
});

it('cites the checkpoint that covers every cited event, and refuses (409) while none does', () => {
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  const certificate = buildCertificate({ subjectId, checkpoint, request, events, issuedAt });
  expect(certificate.checkpoint).toEqual(checkpoint);
  expect(verifyCitedCheckpoint(certificate.checkpoint, citedPositions(certificate), parseVerifierKey(SPEC_CHECKPOINT_VKEY))).toEqual({ valid: true, origin: 'lethe/consent.log/4', size: '107' });
  // The completion cited is at offset 105: a checkpoint of size 105 stops just short of it.
  for (const short of [undefined, specCheckpoint(105n), specCheckpoint(200n, 3)]) {
    const attempt = () => buildCertificate({ subjectId, checkpoint: short, request, events, issuedAt });
    expect(attempt).toThrow(expect.objectContaining({ code: 'illegal_state', reason: 'checkpoint_pending' }));
  }
});

it('lets an auditor refuse a cited checkpoint signed by another key, or changed', () => {
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  const certificate = buildCertificate({ subjectId, checkpoint, request, events, issuedAt });
  const other = parseVerifierKey(verifierKey('lethe-checkpoints', privateKeyFromSeed(Buffer.alloc(32, 1))));
  expect(verifyCitedCheckpoint(certificate.checkpoint, citedPositions(certificate), other)).toEqual({ valid: false, problem: expect.stringContaining('does not match the note') });
  const changed = { ...checkpoint, note: checkpoint.note.replace('\n107\n', '\n108\n') };
  expect(verifyCitedCheckpoint(changed, citedPositions(certificate), parseVerifierKey(SPEC_CHECKPOINT_VKEY))).toMatchObject({ valid: false });
});
