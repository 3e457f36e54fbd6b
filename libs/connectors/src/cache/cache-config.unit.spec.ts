import { CacheConfigError, validateCacheConfig } from './cache-config';

const valid = { system: 'session-cache', url: 'redis://cache:6379', keys: ['session:{subjectId}'], patterns: ['cart:{subjectId}:*'] };

describe('validateCacheConfig', () => {
  it('accepts a valid configuration', () => {
    expect(validateCacheConfig(valid)).toEqual(valid);
  });

  it('treats a missing list as empty', () => {
    expect(validateCacheConfig({ system: 's', url: 'rediss://c:6380', patterns: ['x:{identity:email}:*'] }).keys).toEqual([]);
  });

  it.each([
    [{ ...valid, keys: ['session:{subject}'] }, /keys\[0\]: unknown placeholder "\{subject\}"/],
    [{ ...valid, patterns: ['cart:*', ''] }, /patterns\[0\]: needs a placeholder.*patterns\[1\]: must not be empty/],
    [{ ...valid, keys: ['a:{subjectId}', 7] }, /keys\[1\]: must be a string, not a number/],
    [{ ...valid, keys: 'session:{subjectId}' }, /keys: must be a list/],
    [{ ...valid, keys: [], patterns: [] }, /keys: keys and patterns must hold at least one/],
    [{ ...valid, patterns: ['session:{subjectId}'] }, /patterns\[0\]: duplicate template/],
    [{ ...valid, url: 'http://cache' }, /url: must be a redis:\/\//],
    [{ ...valid, system: '' }, /system: must be a non-empty string/],
    [{ ...valid, pattern: [] }, /pattern: unknown key/],
    [null, /\(root\): must be an object/],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => validateCacheConfig(raw)).toThrow(message);
  });

  it('refuses with a non-retryable ConnectorError that lists every issue', () => {
    const error = (() => {
      try {
        validateCacheConfig({ system: 1, url: 'redis://c', keys: ['{x}'] });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CacheConfigError);
    expect((error as CacheConfigError).retryable).toBe(false);
    expect((error as CacheConfigError).issues).toHaveLength(3);
  });
});
