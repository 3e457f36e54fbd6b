import nx from '@nx/eslint-plugin';

// Layering rules (docs/adr/0002-module-boundaries.md). Each project declares one type:* tag in
// its project.json; a project may only depend on the tags listed for its own.
const io = ['@nestjs/*', 'kafkajs', '@kafkajs/*', 'typeorm', 'pg', 'ioredis', 'avsc', 'fastify'];

const constraints = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: io },
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:domain', 'type:contracts'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:infra', 'type:domain', 'type:contracts', 'type:sdk'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:infra', 'type:domain', 'type:contracts', 'type:sdk', 'type:testing'],
  },
];

function boundaries(depConstraints) {
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      banTransitiveDependencies: true,
      // Specs of every project use the test helpers, which in turn use those projects. Production
      // code can never import the helpers (constraints above), so these cycles exist only in tests.
      ignoredCircularDependencies: [['testing', '*']],
      depConstraints,
    },
  ];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', '**/dist', '.cache', '.nx', 'coverage', '**/*.js', '**/generated/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(constraints),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests may also use the shared test helpers (libs/testing).
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(
        constraints.map((c) => ({ ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] })),
      ),
    },
  },
];
