import { register } from 'prom-client';
import { DecodeError, RegistryUnavailableError } from '@lethe/contracts';
import { retryWhileRegistryUnavailable } from './registry-outage';

function options(overrides: { stillWanted?: () => boolean } = {}) {
  const lines: string[] = [];
  const log = { warn: (line: string) => lines.push(`warn ${line}`), log: (line: string) => lines.push(`log ${line}`) };
  return { lines, options: { group: 'g-unit', log, stillWanted: () => true, heartbeat: async () => undefined, firstDelayMs: 1, maxDelayMs: 4, ...overrides } };
}

const counted = async () => (await register.getSingleMetric('lethe_registry_unavailable_total')?.get())?.values.find((v) => v.labels.group === 'g-unit')?.value ?? 0;

it('retries while the registry is unavailable, backing off up to the cap, logging and counting each failure', async () => {
  const before = await counted();
  let calls = 0;
  const { lines, options: opts } = options();
  const result = await retryWhileRegistryUnavailable(async () => {
    calls += 1;
    if (calls <= 4) throw new RegistryUnavailableError('fetching schema 7: ECONNREFUSED');
    return 'decoded';
  }, opts);
  expect(result).toBe('decoded');
  expect(await counted()).toBe(before + 4);
  expect(lines.map((line) => line.replace(/: .*; /, ': …; '))).toEqual([
    'warn schema registry unavailable: …; retrying in 1 ms (records wait, none is dead-lettered)',
    'warn schema registry unavailable: …; retrying in 2 ms (records wait, none is dead-lettered)',
    'warn schema registry unavailable: …; retrying in 4 ms (records wait, none is dead-lettered)',
    'warn schema registry unavailable: …; retrying in 4 ms (records wait, none is dead-lettered)',
    'log schema registry answers again after 4 failed attempt(s); resuming',
  ]);
});

it('passes a bad record on at once, and gives up an outage once the records are no longer wanted', async () => {
  const bad = new DecodeError('corrupt_datum', 'x');
  await expect(retryWhileRegistryUnavailable(() => Promise.reject(bad), options().options)).rejects.toBe(bad);
  const outage = new RegistryUnavailableError('HTTP 503');
  await expect(retryWhileRegistryUnavailable(() => Promise.reject(outage), options({ stillWanted: () => false }).options)).rejects.toBe(outage);
});
