import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LogCoordinates, type SignedCertificate, verifyCertificate } from '@lethe/certificates';
import { ConsentEvent, erasureCompletedId, erasureStepCompletedId, erasureWorkId } from '@lethe/contracts';
import { appendToConsentLog } from '@lethe/kafka';
import { AppProcess, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, ERROR_KEYS } from './testing/api-harness';

// A certificate as an auditor gets it: a request fanned out to two systems, both acknowledge on
// consent.log as a worker would, the projector (its own process) completes the request, and the
// certificate cites log positions that really hold those events, and the checkpoint the
// checkpointer (its own process) signed over them, and verifies offline.

const root = resolve(__dirname, '../../..');
let api: ApiHarness;
let projector: ChildProcess;
let checkpointer: AppProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'lethe-certificate-'));

beforeAll(async () => {
  api = await ApiHarness.start('certificates-e2e');
  projector = spawn(process.execPath, ['-r', '@swc-node/register', resolve(root, 'apps/projector/src/main.ts')], {
    cwd: root,
    env: { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.certificates') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
});

afterAll(async () => {
  await checkpointer?.stop();
  projector?.kill('SIGTERM');
  if (projector) await new Promise((done) => projector.once('exit', done));
  await api?.close();
});

const get = (url: string) => api.call({ method: 'GET', url });

/** The ErasureStepCompleted a worker appends for its system, with the worker's id scheme. */
function ack(subjectId: string, requestId: string, system: string, cause: string): ConsentEvent {
  const now = Date.now();
  return {
    event_id: erasureStepCompletedId(erasureWorkId(subjectId, requestId), system),
    subject_id: subjectId,
    occurred_at: now,
    recorded_at: now,
    source: 'SYSTEM',
    actor: `lethe-erasure-${system}`,
    jurisdiction: 'GDPR',
    policy_version: null,
    purposes: [],
    correlation_id: requestId,
    causation_id: cause,
    identities: null,
    payload: { type: 'ErasureStepCompleted', request_id: requestId, system, action: 'delete', counts: { rows: 1 }, evidence_hash: system.repeat(64).slice(0, 64), legal_hold: null, strategies: {} },
  };
}

/** The event ids found on consent.log at these positions, read back from the broker. */
async function eventIdsAt(positions: LogCoordinates[]): Promise<Map<string, string>> {
  const wanted = new Set(positions.map((p) => `${p.partition}:${p.offset}`));
  const found = new Map<string, string>();
  const consumer = testKafka('certificates-e2e-reader').consumer({ groupId: uniqueName('test.certificate-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: api.topics.consentLog });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const at = `${partition}:${message.offset}`;
      if (wanted.has(at)) found.set(at, (await api.runtime.codec.decode(message.value)).event_id);
    },
  });
  for (const partition of new Set(positions.map((p) => p.partition))) {
    const first = positions.filter((p) => p.partition === partition).reduce((min, p) => (BigInt(p.offset) < BigInt(min) ? p.offset : min), positions[0].offset);
    consumer.seek({ topic: api.topics.consentLog, partition, offset: first });
  }
  await waitFor(() => found.size === wanted.size, { description: 'the cited records read back from consent.log', timeoutMs: 30_000 });
  await consumer.disconnect();
  return found;
}

function verifyWithCli(args: string[], input?: string) {
  const cli = resolve(root, 'apps/auditor/src/verify-certificate.cli.ts');
  return spawnSync(process.execPath, ['-r', '@swc-node/register', cli, ...args], { cwd: root, input, encoding: 'utf8', timeout: 60_000 });
}

it('certifies a completed request with log positions that hold its events, verifiable offline', async () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  const created = await api.post(`/v1/subjects/${subject}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction: 'GDPR', systems: ['a', 'b'] });
  expect(created.statusCode).toBe(202);
  const requestedId: string = created.json().eventId;
  await waitFor(async () => (await get(`/v1/erasure-requests/${requestId}`)).statusCode === 200, { description: 'the request projected', timeoutMs: 60_000 });

  const open = await get(`/v1/erasure-requests/${requestId}/certificate`);
  expect(open.statusCode).toBe(409);
  expect(open.json()).toMatchObject({ statusCode: 409, error: 'illegal_state', reason: 'request_not_complete' });
  expect(Object.keys(open.json()).every((k) => ERROR_KEYS.includes(k))).toBe(true);

  const acks = [ack(subject, requestId, 'a', requestedId), ack(subject, requestId, 'b', requestedId)];
  await appendToConsentLog(api.runtime.producer, api.runtime.codec, api.topics.consentLog, acks);
  await waitFor(async () => (await get(`/v1/erasure-requests/${requestId}`)).json().status === 'completed', { description: 'the request completed', timeoutMs: 60_000 });
  // Completed, but no checkpoint covers its events yet: refused, never certified without one.
  const pending = await get(`/v1/erasure-requests/${requestId}/certificate`);
  expect(pending.statusCode).toBe(409);
  expect(pending.json()).toMatchObject({ statusCode: 409, error: 'illegal_state', reason: 'checkpoint_pending' });

  const checkpointEnv = { ...api.env, LETHE_CHECKPOINT_KEY: randomBytes(32).toString('base64'), LETHE_CHECKPOINT_INTERVAL_MS: '200', LETHE_LOG_LEVEL: 'log', NO_COLOR: '1' };
  const started = new AppProcess('apps/checkpointer/src/main.ts', checkpointEnv);
  checkpointer = started;
  const vkey = await waitFor(() => /verifier key (lethe-checkpoints\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)/.exec(started.output)?.[1], { description: 'the checkpointer started', timeoutMs: 60_000 });
  const response = await waitFor(
    async () => {
      const r = await get(`/v1/erasure-requests/${requestId}/certificate`);
      return r.statusCode === 200 && r;
    },
    { description: 'a checkpoint covering the request', timeoutMs: 60_000 },
  );
  const certificate = response.json() as SignedCertificate;
  expect(certificate).toMatchObject({ requestId, subjectId: subject, jurisdiction: 'GDPR', issuer: 'lethe', extension: null });
  expect(certificate.systems.map((s) => [s.system, s.status, s.action, s.event.eventId])).toEqual([
    ['a', 'completed', 'delete', acks[0].event_id],
    ['b', 'completed', 'delete', acks[1].event_id],
  ]);
  expect(certificate.events.requested.eventId).toBe(requestedId);
  expect(certificate.events.completed.eventId).toBe(erasureCompletedId(subject, requestId));

  const cited = [certificate.events.requested, ...certificate.systems.map((s) => s.event), certificate.events.completed];
  const onLog = await eventIdsAt(cited);
  for (const position of cited) {
    expect(position.topic).toBe(api.topics.consentLog);
    expect(onLog.get(`${position.partition}:${position.offset}`)).toBe(position.eventId);
  }

  const key = (await get('/v1/certificates/public-key')).json() as { algorithm: string; keyId: string; publicKey: string };
  expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: certificate.signature.keyId, publicKey: certificate.signature.publicKey });
  expect(verifyCertificate(certificate, key.publicKey)).toMatchObject({ valid: true, pinned: true });

  const certificateFile = join(dir, 'certificate.json');
  const keyFile = join(dir, 'lethe-signing.pem');
  const otherKeyFile = join(dir, 'other.pem');
  writeFileSync(certificateFile, response.body);
  writeFileSync(keyFile, key.publicKey);
  writeFileSync(otherKeyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));

  const pinned = verifyWithCli([certificateFile, '--public-key', keyFile, '--checkpoint-key', vkey]);
  expect({ status: pinned.status, stderr: pinned.stderr }).toEqual({ status: 0, stderr: '' });
  expect(pinned.stdout).toMatch(new RegExp(`^valid: erasure request ${requestId} completed .*2 system\\(s\\) \\(a, b\\).*the pinned key\\); its events are covered by checkpoint lethe/${api.topics.consentLog}/${certificate.events.completed.partition} size \\d+ \\(${api.topics.consentAudit} offset \\d+\\), signed by lethe-checkpoints \\(the pinned checkpoint key\\)`));
  expect(BigInt(/ size (\d+) /.exec(pinned.stdout)?.[1] ?? 0)).toBeGreaterThan(BigInt(certificate.events.completed.offset));
  // The same key checks the log itself: the auditor can check both.
  const verifyLog = spawnSync(process.execPath, [resolve(root, 'apps/lethe-cli/bin/lethe.js'), 'verify-log', '--key', vkey, '--json'], { cwd: root, env: checkpointEnv, encoding: 'utf8', timeout: 60_000 });
  expect(verifyLog.status).toBe(0);
  expect(JSON.parse(verifyLog.stdout)).toMatchObject({ verified: true, keys: [vkey] });

  const unpinned = verifyWithCli(['-'], response.body);
  expect(unpinned.status).toBe(3);
  expect(unpinned.stderr).toMatch(/^issuer unverified: the signature is self-consistent/);

  const tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, JSON.stringify({ ...certificate, systems: [{ ...certificate.systems[0], action: 'anonymize' }, certificate.systems[1]] }));
  const refused = verifyWithCli([tampered, '--public-key', keyFile]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/^invalid: signature does not match/);

  const otherKey = verifyWithCli([certificateFile, '--public-key', otherKeyFile]);
  expect(otherKey.status).toBe(1);
  expect(otherKey.stderr).toMatch(/^invalid: signed by key sha256:[0-9a-f]{64}, not by the expected key/);
});

it('answers 404 for a request it does not know', async () => {
  const response = await get(`/v1/erasure-requests/${uniqueName('dsr')}/certificate`);
  expect(response.statusCode).toBe(404);
  expect(response.json()).toMatchObject({ statusCode: 404, error: 'not_found' });
});
