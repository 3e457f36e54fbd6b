import { ConfigError } from './env';
import { checkpointKeyFrom, signingKeyFrom } from './signing-key';

it('requires a signing key with DATABASE_URL and checks its length', () => {
  expect(() => signingKeyFrom({ DATABASE_URL: 'postgres://x/y' })).toThrow(/LETHE_SIGNING_KEY is required/);
  expect(() => signingKeyFrom({ LETHE_SIGNING_KEY: Buffer.alloc(31).toString('base64') })).toThrow(ConfigError);
  const seed = Buffer.alloc(32, 9);
  expect(signingKeyFrom({ DATABASE_URL: 'postgres://x/y', LETHE_SIGNING_KEY: seed.toString('base64') })).toEqual({ seed, development: false });
});

it('derives the same development key every time on local defaults, distinct from the master key', () => {
  const first = signingKeyFrom({});
  expect(first.development).toBe(true);
  expect(first.seed).toHaveLength(32);
  expect(signingKeyFrom({}).seed.equals(first.seed)).toBe(true);
  expect(first.seed.toString('utf8')).not.toContain('lethe');
});

it('keeps the checkpoint key apart from the certificate key, with the same rules', () => {
  expect(() => checkpointKeyFrom({ DATABASE_URL: 'postgres://x/y' })).toThrow(/LETHE_CHECKPOINT_KEY is required/);
  expect(() => checkpointKeyFrom({ LETHE_CHECKPOINT_KEY: Buffer.alloc(33).toString('base64') })).toThrow('LETHE_CHECKPOINT_KEY must be 32 bytes');
  expect(checkpointKeyFrom({}).seed.equals(signingKeyFrom({}).seed)).toBe(false);
  expect(checkpointKeyFrom({}).seed.equals(checkpointKeyFrom({}).seed)).toBe(true);
});
