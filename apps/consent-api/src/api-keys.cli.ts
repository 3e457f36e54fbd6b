/**
 * Manages API keys:
 *   npm run api-key -- create <service> [--actions a,b] [--purposes p,q]   prints the key once
 *   npm run api-key -- list
 *   npm run api-key -- revoke <key-id>
 *   npm run api-key -- check < key-file                                     exit 0 if the key is active
 * Actions: consent:write objection:write optout:write erasure:write gpc:write read (default: all).
 * Purposes: names, or * for all (default).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { databaseSchemaFrom, endpointsFrom } from '@lethe/config';
import { openDatabase } from '@lethe/persistence';
import { Action, ACTIONS, ApiKeyStore } from './auth/api-keys';

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const db = await openDatabase({
    url: endpointsFrom(process.env).databaseUrl,
    schema: databaseSchemaFrom(process.env),
    poolSize: 1,
  });
  const store = new ApiKeyStore(db);
  try {
    if (command === 'create' && rest[0]) {
      const actions = list(option(rest, '--actions')) ?? [...ACTIONS];
      const unknown = actions.filter((a) => !(ACTIONS as readonly string[]).includes(a));
      if (unknown.length) throw new Error(`unknown action(s): ${unknown.join(', ')}; known: ${ACTIONS.join(', ')}`);
      const purposes = list(option(rest, '--purposes')) ?? ['*'];
      const { keyId, key } = await store.create(rest[0], { actions: actions as Action[], purposes });
      console.error(`created key ${keyId} for ${rest[0]} (actions: ${actions.join(', ')}; purposes: ${purposes.join(', ')})`);
      console.error('store it now: it is not shown again');
      console.log(key);
    } else if (command === 'list') {
      for (const key of await store.list()) {
        const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
        console.log(`${key.id}  ${key.service}  ${state}  actions=${key.scopes.actions.join(',')}  purposes=${key.scopes.purposes.join(',')}`);
      }
    } else if (command === 'check') {
      // The key comes on stdin, so it never shows in a process list.
      const principal = await store.authenticate(readFileSync(0, 'utf8').trim());
      console.error(principal ? `active key for ${principal.service}` : 'not an active key of this database');
      process.exitCode = principal ? 0 : 3;
    } else if (command === 'revoke' && rest[0]) {
      console.log((await store.revoke(rest[0])) ? `revoked ${rest[0]}` : `no active key ${rest[0]}`);
    } else {
      throw new Error('usage: api-key create <service> [--actions a,b] [--purposes p,q] | list | revoke <key-id> | check < key-file');
    }
  } finally {
    await db.destroy();
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((v) => v.trim()).filter(Boolean);
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`api-key: ${error.message}`);
  process.exit(1);
});
