#!/usr/bin/env node
// `npx lethe …` and `npm run lethe -- …`: runs the TypeScript entry through @swc-node/register,
// with the repository's tsconfig wherever it is started from (its paths map the @lethe/* libraries).
const { join } = require('node:path');

process.env.SWC_NODE_PROJECT ??= join(__dirname, '../../../tsconfig.json');
require('@swc-node/register');
require('../src/main.ts');
