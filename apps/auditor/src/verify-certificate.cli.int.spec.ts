import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCertificate, privateKeyFromSeed, publicKeyPem, signCertificate } from '@lethe/certificates';
import { certifiableRequest, SPEC_CHECKPOINT_VKEY } from '@lethe/testing';
import { verifierKey } from '@lethe/certificates';

// The CLI as an auditor runs it: a child process on files, its exit code and what it prints.

const root = resolve(__dirname, '../../..');
const cli = resolve(__dirname, 'verify-certificate.cli.ts');
const key = privateKeyFromSeed(Buffer.alloc(32, 9));
let dir: string;
let certificateFile: string;
let keyFile: string;

function verify(...args: string[]) {
  const run = spawnSync(process.execPath, ['-r', '@swc-node/register', cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lethe-verify-'));
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  const signed = signCertificate(buildCertificate({ subjectId, checkpoint, request, events, issuedAt: Date.UTC(2026, 0, 6) }), key);
  certificateFile = join(dir, 'certificate.json');
  keyFile = join(dir, 'lethe.pem');
  writeFileSync(certificateFile, JSON.stringify(signed));
  writeFileSync(keyFile, publicKeyPem(key));
  writeFileSync(join(dir, 'other.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'tampered.json'), JSON.stringify({ ...signed, completedAt: '2026-01-04T00:00:00.000Z' }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('exits 0 for a certificate signed by the pinned key, citing a checkpoint signed by the pinned checkpoint key', () => {
  const run = verify(certificateFile, '--public-key', keyFile, '--checkpoint-key', SPEC_CHECKPOINT_VKEY);
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toMatch(
    /^valid: erasure request dsr-1 completed 2026-01-05T09:00:04.000Z, 2 system\(s\) \(a, b\), signed by sha256:[0-9a-f]{64} \(the pinned key\); its events are covered by checkpoint lethe\/consent.log\/4 size 107 \(consent.audit offset 12\), signed by lethe-checkpoints \(the pinned checkpoint key\)\n$/,
  );
});

it('exits 3 without --checkpoint-key, 1 for a checkpoint signed by another key, 2 for a malformed one', () => {
  const unchecked = verify(certificateFile, '--public-key', keyFile);
  expect(unchecked.status).toBe(3);
  expect(unchecked.stdout).toMatch(/^unverified: .*; its checkpoint \(consent.audit offset 12\) is not checked\n$/);
  expect(unchecked.stderr).toMatch(/^checkpoint unverified: pass the checkpoint verifier key .* with --checkpoint-key/);
  const otherKey = verifierKey('lethe-checkpoints', generateKeyPairSync('ed25519').publicKey);
  const other = verify(certificateFile, '--public-key', keyFile, '--checkpoint-key', otherKey);
  expect(other.status).toBe(1);
  expect(other.stderr).toMatch(/^invalid: the cited checkpoint: the signature by key lethe-checkpoints does not match the note/);
  const bad = verify(certificateFile, '--public-key', keyFile, '--checkpoint-key', 'nonsense+1');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/^invalid: --checkpoint-key: not an Ed25519 verifier key/);
});

it('exits 3 without a pinned key: the signature is self-consistent, the issuer unverified', () => {
  const run = verify(certificateFile);
  expect(run.status).toBe(3);
  expect(run.stdout).not.toMatch(/^valid/);
  expect(run.stdout).toMatch(/^unverified: erasure request dsr-1 .*signed by sha256:[0-9a-f]{64} \(the key inside the certificate, not a pinned one\)\n$/);
  expect(run.stderr).toMatch(/^issuer unverified: the signature is self-consistent, .* pass it with --public-key/);
});

it('exits 1 naming the problem for a key that is not the pinned one', () => {
  const run = verify(certificateFile, '--public-key', join(dir, 'other.pem'));
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^invalid: signed by key sha256:[0-9a-f]{64}, not by the expected key sha256:[0-9a-f]{64}\n$/);
});

it('exits 1 for a changed certificate, with or without a pinned key', () => {
  for (const args of [['--public-key', keyFile], []]) {
    const run = verify(join(dir, 'tampered.json'), ...args);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^invalid: signature does not match the document/);
  }
});

it('exits 2 on bad usage', () => {
  const run = verify();
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/^usage: /);
});
