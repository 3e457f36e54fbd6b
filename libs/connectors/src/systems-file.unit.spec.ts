import { ACTIONS_BY_TYPE, connectorConfigOf, parseSystemsFile } from './systems-file';

describe('parseSystemsFile', () => {
  it('reads systems and the retry policy', () => {
    const file = parseSystemsFile({ retry: { maxAttempts: 3 }, systems: [{ name: 'shop-db', type: 'sql', url: 'x' }] });
    expect(file.systems).toEqual([{ name: 'shop-db', type: 'sql', path: 'systems[0]', raw: { name: 'shop-db', type: 'sql', url: 'x' }, reactions: {} }]);
    expect(file.retry.maxAttempts).toBe(3);
    expect(file.retry.initialDelayMs).toBeGreaterThan(0);
  });

  it('reads what a system does on opt-outs, and hands the connector its own keys only', () => {
    const file = parseSystemsFile({ systems: [{ name: 'crm', type: 'cache', url: 'redis://x', onOptOut: { marketing: 'delete', SALE: 'suppress' } }] });
    expect(file.systems[0].reactions).toEqual({ marketing: 'delete', SALE: 'suppress' });
    expect(connectorConfigOf(file.systems[0])).toEqual({ system: 'crm', url: 'redis://x' });
  });

  it.each([
    [{}, /systems: a non-empty list/],
    [{ systems: [] }, /systems: a non-empty list/],
    [{ systems: [{ name: 'Shop DB', type: 'sql' }] }, /systems\[0\]\.name/],
    [{ systems: [{ name: 'a', type: 'sql' }, { name: 'a', type: 'cache' }] }, /systems\[1\]\.name: "a" is declared twice/],
    [{ systems: [{ name: 'a', type: 'ftp' }] }, /systems\[0\]\.type: one of sql, cache, kafka/],
    [{ systems: [{ name: 'a', type: 'sql', onOptOut: { marketing: 'shred' } }] }, /systems\[0\]\.onOptOut\.marketing: one of delete, anonymize, suppress/],
    [{ systems: [{ name: 'a', type: 'sql', onOptOut: { 'Bad Key': 'delete' } }] }, /systems\[0\]\.onOptOut\.Bad Key/],
    [{ retry: { maxAttempts: 0 }, systems: [{ name: 'a', type: 'sql' }] }, /retry\.maxAttempts/],
    [{ retry: { tries: 3 }, systems: [{ name: 'a', type: 'sql' }] }, /retry\.tries: unknown setting/],
    // Found by systems-file.fuzz.unit.spec.ts: names every object has (Object.prototype's) were taken as settings.
    [{ retry: { constructor: 3 }, systems: [{ name: 'a', type: 'sql' }] }, /retry\.constructor: unknown setting/],
    [{ retry: { toString: 3 }, systems: [{ name: 'a', type: 'sql' }] }, /retry\.toString: unknown setting/],
    [JSON.parse('{"retry": {"__proto__": 3}, "systems": [{"name": "a", "type": "sql"}]}'), /retry\.__proto__: unknown setting/],
    // ... and a misspelt top-level key was ignored, silently leaving the default retry policy.
    [{ retyr: { maxAttempts: 3 }, systems: [{ name: 'a', type: 'sql' }] }, /^retyr: unknown key/],
    [JSON.parse('{"__proto__": {"maxAttempts": 3}, "systems": [{"name": "a", "type": "sql"}]}'), /^__proto__: unknown key/],
    [{ '': 1, systems: [{ name: 'a', type: 'sql' }] }, /^"": unknown key/],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => parseSystemsFile(raw)).toThrow(message);
  });

  // The cells of the README's table of actions by type that a system cannot honour: refused when
  // the file is read, so nothing reports an opt-out done that the system could not do.
  it.each([
    ['sql', 'suppress'],
    ['cache', 'anonymize'],
    ['kafka', 'anonymize'],
    ['kafka', 'suppress'],
  ])('refuses onOptOut %s: %s, naming what that type can do', (type, action) => {
    const raw = { systems: [{ name: 'a', type, onOptOut: { marketing: action } }] };
    expect(() => parseSystemsFile(raw)).toThrow(new RegExp(`systems\\[0\\]\\.onOptOut\\.marketing: a ${type} system can .+, not ${action}`));
  });

  it.each(Object.entries(ACTIONS_BY_TYPE).flatMap(([type, actions]) => actions.map((action) => [type, action])))('accepts onOptOut %s: %s', (type, action) => {
    expect(parseSystemsFile({ systems: [{ name: 'a', type, onOptOut: { marketing: action } }] }).systems[0].reactions).toEqual({ marketing: action });
  });
});
