import { execSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// The layering rules in eslint.config.mjs must reject real violations, not just exist.
const root = resolve(__dirname, '../..');

// ESLint runs as its own process: its flat config is an ES module, which Jest's sandbox won't load.
function boundaryErrors(code: string, filePath: string): string[] {
  const run = spawnSync('npx', ['eslint', '--format', 'json', '--stdin', '--stdin-filename', filePath], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  beforeAll(() => {
    // The rule reads Nx's cached project graph; compute it as `npm run lint` does.
    execSync('npx nx show projects', { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  }, 60_000);

  it('refuses an infra library that imports the test helpers', () => {
    const errors = boundaryErrors("import { waitFor } from '@lethe/testing';\nexport const w = waitFor;\n", 'libs/config/src/bad.ts');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('refuses relative imports into another project', () => {
    const errors = boundaryErrors("import { waitFor } from '../../testing/src';\nexport const w = waitFor;\n", 'libs/config/src/bad.ts');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('refuses I/O libraries in the pure domain', () => {
    const errors = boundaryErrors("import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n", 'libs/consent-domain/src/bad.ts');
    expect(errors.join('\n')).toMatch(/kafkajs/);
  });

  it('refuses a domain that depends on infrastructure libraries', () => {
    const errors = boundaryErrors("import { createKafka } from '@lethe/kafka';\nexport const k = createKafka;\n", 'libs/consent-domain/src/bad.ts');
    expect(errors.join('\n')).toMatch(/type:domain/);
  });

  it('allows the test helpers to use the config library', () => {
    const errors = boundaryErrors("import { endpointsFrom } from '@lethe/config';\nexport const e = endpointsFrom;\n", 'libs/testing/src/ok.ts');
    expect(errors).toEqual([]);
  });
});
