/**
 * Writes libs/contracts/src/generated/*.ts from schemas/*.avsc.
 *   npm run codegen           write the files
 *   npm run codegen -- --check  fail if a file is out of date (CI)
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { renderTypes } from './avro-to-ts';

const root = resolve(__dirname, '../..');
const schemaDir = resolve(root, 'schemas');
const outDir = resolve(root, 'libs/contracts/src/generated');

export function generatedFiles(): { path: string; content: string }[] {
  return readdirSync(schemaDir)
    .filter((file) => file.endsWith('.avsc'))
    .sort()
    .map((file) => ({
      path: resolve(outDir, `${basename(file, '.avsc')}.ts`),
      content: renderTypes(JSON.parse(readFileSync(resolve(schemaDir, file), 'utf8')), `schemas/${file}`),
    }));
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { path, content } of generatedFiles()) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // a new schema: nothing generated yet
    }
    if (current === content) continue;
    if (check) {
      console.error(`out of date: ${path.slice(root.length + 1)} (run npm run codegen)`);
      stale++;
    } else {
      writeFileSync(path, content);
      console.log(`wrote ${path.slice(root.length + 1)}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
