import Redis from 'ioredis';
import { Pool } from 'pg';

/** Where a scenario's systems keep the subjects' data: the shop's schema and the session cache. */
export interface SystemData {
  shopSchema: string;
  redisUrl: string;
}

const sessionKey = (subjectId: string) => `session:${subjectId}`;

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * Gives each subject data in both systems before the workload asks to erase it, so that an
 * erasure step has something to erase and the checker can see whether it did: a customer (matched
 * by its external id, the subject id) with an address and an order in the shop, and a session key
 * in the cache. Fixture values only, no one's personal data.
 */
export async function seedSubjects(pool: Pool, data: SystemData, subjectIds: string[]): Promise<void> {
  await pool.query(
    `with customers as (
       insert into "${data.shopSchema}".customers (external_id, email, name)
       select id, 'fixture-' || ordinality || '@example.invalid', 'Fixture ' || ordinality from unnest($1::text[]) with ordinality as s(id, ordinality)
       returning id),
     addresses as (insert into "${data.shopSchema}".addresses (customer_id, street, city) select id, 'Fixture Street 1', 'Berlin' from customers)
     insert into "${data.shopSchema}".orders (customer_id, shipping_name, amount, ordered_at) select id, 'Fixture', 9.99, now() from customers`,
    [subjectIds],
  );
  await withRedis(data.redisUrl, async (redis) => {
    const pipeline = redis.pipeline();
    for (const id of subjectIds) pipeline.set(sessionKey(id), 'fixture-session');
    await pipeline.exec();
  });
}

/** Which of these subjects still have data in the shop (a customer row) and in the cache (a session key). */
export async function subjectsWithData(pool: Pool, data: SystemData, subjectIds: string[]): Promise<{ shop: string[]; cache: string[] }> {
  if (subjectIds.length === 0) return { shop: [], cache: [] };
  const { rows } = await pool.query<{ external_id: string }>(`select external_id from "${data.shopSchema}".customers where external_id = any($1)`, [subjectIds]);
  const exists = await withRedis(data.redisUrl, async (redis) => {
    const pipeline = redis.pipeline();
    for (const id of subjectIds) pipeline.exists(sessionKey(id));
    return (await pipeline.exec()) ?? [];
  });
  return { shop: rows.map((row) => row.external_id), cache: subjectIds.filter((_, i) => exists[i]?.[1] === 1) };
}
