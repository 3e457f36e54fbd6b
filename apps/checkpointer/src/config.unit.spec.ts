import { loadCheckpointerConfig } from './config';

it('checkpoints every 1,000 records or 5 s by default, under the prefixed group', () => {
  const config = loadCheckpointerConfig({ LETHE_TOPIC_PREFIX: 'staging.' });
  expect(config).toMatchObject({ groupId: 'staging.lethe.checkpointer', everyRecords: 1_000, intervalMs: 5_000, developmentKey: true });
  expect(config.topics.names.consentAudit).toBe('staging.consent.audit');
});

it('refuses a bad setting, naming it, and a missing key with DATABASE_URL', () => {
  expect(() => loadCheckpointerConfig({ LETHE_CHECKPOINT_EVERY_RECORDS: '0' })).toThrow(/^LETHE_CHECKPOINT_EVERY_RECORDS must be a whole number from 1 to 10000/);
  expect(() => loadCheckpointerConfig({ LETHE_CHECKPOINT_INTERVAL_MS: 'soon' })).toThrow(/^LETHE_CHECKPOINT_INTERVAL_MS must be/);
  expect(() => loadCheckpointerConfig({ DATABASE_URL: 'postgres://x/y', LETHE_MASTER_KEY: Buffer.alloc(32).toString('base64') })).toThrow(/^LETHE_CHECKPOINT_KEY is required with DATABASE_URL/);
});
