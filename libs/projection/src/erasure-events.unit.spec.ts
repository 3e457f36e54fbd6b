import type { KafkaMessage } from 'kafkajs';
import type { ConsentEvent } from '@lethe/contracts';
import { consentEvent } from '@lethe/testing';
import type { DecodedRecord } from './batch-folder';
import { erasureEventRows } from './erasure-events';

const subject = 'subj-rows';
const message = (offset: number) => ({ key: Buffer.from(subject), value: Buffer.from(''), offset: String(offset) }) as unknown as KafkaMessage;
const record = (offset: number, payload: ConsentEvent['payload'], event_id?: string): DecodedRecord => ({
  message: message(offset),
  event: consentEvent({ subject_id: subject, payload, recorded_at: 1_767_225_600_000 + offset, ...(event_id ? { event_id } : {}) }),
});

const requested: ConsentEvent['payload'] = { type: 'ErasureRequested', request_id: 'r1', scope: 'ALL', keep_transaction_history: false, systems: ['a'], all_systems: false };
const acked: ConsentEvent['payload'] = { type: 'ErasureStepCompleted', request_id: 'r1', system: 'a', action: 'delete', counts: {}, evidence_hash: 'e'.repeat(64), legal_hold: null, strategies: {} };

it('keeps erasure events with their coordinates, in offset order, and nothing else', () => {
  const records = [record(10, requested), record(11, { type: 'ConsentWithdrawn' }), record(12, acked), { message: message(13), problem: 'undecodable' }];
  const rows = erasureEventRows('consent.log', 3, records, [{ message: records[3].message, reason: 'undecodable' }]);
  expect(rows.map((r) => [r.type, r.system, r.offset, r.partition, r.topic])).toEqual([
    ['ErasureRequested', null, '10', 3, 'consent.log'],
    ['ErasureStepCompleted', 'a', '12', 3, 'consent.log'],
  ]);
  expect(rows[0]).toMatchObject({ request_id: 'r1', event_id: records[0].event?.event_id, recorded_at: '2026-01-01T00:00:00.010Z' });
});

it('leaves out rejected records and keeps the first position of a repeated event id', () => {
  const id = '6f1c2f64-1d4e-4c39-9f0e-0d6b1b0c2a11';
  const records = [record(20, acked, id), record(21, acked, id), record(22, { type: 'ErasureRequestCompleted', request_id: 'r1' })];
  const rows = erasureEventRows('consent.log', 0, records, [{ message: records[2].message, reason: 'not applicable: x' }]);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ event_id: id, offset: '20' });
});
