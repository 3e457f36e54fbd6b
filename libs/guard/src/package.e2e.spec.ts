import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LetheTopics, stateOfKind, testEndpoints, testKafka } from '@lethe/testing';

const ROOT = resolve(__dirname, '../../..');
const PEERS = ['kafkajs', 'prom-client', '@kafkajs/confluent-schema-registry'];

/** A service outside the repository: plain node, no TypeScript, no path aliases, only the installed packages. */
const SERVICE_SCRIPT = `
const { Kafka, logLevel } = require('kafkajs');
const { ConsentGuard } = require('@lethe/guard');
const { SUBJECT, PREFIX, KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
const kafka = new Kafka({ clientId: 'packaged-service', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.WARN });
const guard = ConsentGuard.create({ kafka, schemaRegistryUrl: SCHEMA_REGISTRY_URL, topicPrefix: PREFIX, service: 'packaged-service' });
guard.start()
  .then(() => guard.ready(60000))
  .then(() => console.log(JSON.stringify({ marketing: guard.allowed(SUBJECT, 'marketing'), analytics: guard.allowed(SUBJECT, 'analytics') })))
  .then(() => guard.stop())
  .catch((error) => { console.error(error.message); process.exit(1); });
`;

describe('the packed SDK', () => {
  const kafka = testKafka('guard-package');
  let topics: LetheTopics;
  const work = mkdtempSync(join(tmpdir(), 'lethe-sdk-'));

  beforeAll(async () => {
    topics = await LetheTopics.create(kafka, 2);
  });

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await topics.drop();
  });

  it('installs from its tarballs into a service outside the repository, which becomes ready and answers with plain node', async () => {
    const sdk = join(work, 'sdk');
    run('npm', ['run', 'build:sdk'], ROOT, { LETHE_SDK_DIR: sdk });
    const tarballs = readdirSync(sdk).filter((file) => file.endsWith('.tgz'));
    expect(tarballs.sort()).toEqual([expect.stringMatching(/^lethe-contracts-.+\.tgz$/), expect.stringMatching(/^lethe-guard-.+\.tgz$/)]);

    const service = join(work, 'service');
    mkdirSync(service);
    writeFileSync(join(service, 'package.json'), JSON.stringify({ name: 'packaged-service', private: true }));
    const peers = PEERS.map((name) => `${name}@${installedVersion(name)}`); // the versions in the local npm cache
    run('npm', ['install', ...tarballs.map((file) => join(sdk, file)), ...peers, '--prefer-offline', '--no-audit', '--no-fund'], service);
    writeFileSync(join(service, 'service.js'), SERVICE_SCRIPT);
    // The core needs no NestJS: its module is the optional `@lethe/guard/nest` entry point.
    expect(existsSync(join(service, 'node_modules/@nestjs/common'))).toBe(false);
    expect(existsSync(join(service, 'node_modules/@lethe/guard/dist/nest/index.js'))).toBe(true);

    await topics.writeStates([{ key: 'packaged-1', state: stateOfKind('packaged-1', 1, 4) }]); // marketing withdrawn, analytics granted

    const env = { SUBJECT: 'packaged-1', PREFIX: topics.prefix, KAFKA_BROKERS: testEndpoints().kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: testEndpoints().schemaRegistryUrl };
    const output = run(process.execPath, ['service.js'], service, env);
    expect(JSON.parse(output.trim().split('\n').pop() as string)).toEqual({
      marketing: { allowed: false, reason: 'withdrawn', version: 4, stale: false },
      analytics: { allowed: true, reason: 'granted', version: 4, stale: false },
    });
  }, 300_000);
});

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a command to completion (deadline 3 minutes), returning its stdout; a failure says what it printed. */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`.slice(-4_000));
  return result.stdout;
}
