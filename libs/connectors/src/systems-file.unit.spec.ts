import { parseSystemsFile } from './systems-file';

describe('parseSystemsFile', () => {
  it('reads systems and the retry policy', () => {
    const file = parseSystemsFile({ retry: { maxAttempts: 3 }, systems: [{ name: 'shop-db', type: 'sql', url: 'x' }] });
    expect(file.systems).toEqual([{ name: 'shop-db', type: 'sql', path: 'systems[0]', raw: { name: 'shop-db', type: 'sql', url: 'x' } }]);
    expect(file.retry.maxAttempts).toBe(3);
    expect(file.retry.initialDelayMs).toBeGreaterThan(0);
  });

  it.each([
    [{}, /systems: a non-empty list/],
    [{ systems: [] }, /systems: a non-empty list/],
    [{ systems: [{ name: 'Shop DB', type: 'sql' }] }, /systems\[0\]\.name/],
    [{ systems: [{ name: 'a', type: 'sql' }, { name: 'a', type: 'cache' }] }, /systems\[1\]\.name: "a" is declared twice/],
    [{ systems: [{ name: 'a', type: 'ftp' }] }, /systems\[0\]\.type: one of sql, cache, kafka/],
    [{ retry: { maxAttempts: 0 }, systems: [{ name: 'a', type: 'sql' }] }, /retry\.maxAttempts/],
    [{ retry: { tries: 3 }, systems: [{ name: 'a', type: 'sql' }] }, /retry\.tries: unknown setting/],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => parseSystemsFile(raw)).toThrow(message);
  });
});
