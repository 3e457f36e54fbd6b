import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { openDatabase } from '@lethe/persistence';
import { testEndpoints } from './kafka';

/**
 * A migrated database in a PostgreSQL schema of its own, so suites never see each other's rows.
 * Call `drop()` in afterAll.
 */
export async function freshDatabase(): Promise<{ db: DataSource; schema: string; drop: () => Promise<void> }> {
  const schema = `test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const db = await openDatabase({ url: testEndpoints().databaseUrl, schema, poolSize: 4 });
  return {
    db,
    schema,
    drop: async () => {
      await db.query(`drop schema if exists "${schema}" cascade`);
      await db.destroy();
    },
  };
}
