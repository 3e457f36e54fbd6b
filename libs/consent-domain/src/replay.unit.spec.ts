import { DomainError } from './errors';
import { canonicalJson, fold, replay, serializeState } from './replay';
import { granted, objected, SUBJECT, withdrawn } from './testing/events';

describe('fold and replay', () => {
  it('folds one subject and refuses events of another', () => {
    expect(fold([granted('e1', ['ads'])], SUBJECT).purposes.ads.status).toBe('granted');
    expect(() => fold([granted('e1', ['ads'], { subject_id: 'subj-b' })], SUBJECT)).toThrow(DomainError);
  });

  it('replays a log of many subjects into one state each', () => {
    const states = replay([
      granted('e1', ['ads']),
      granted('e2', ['email'], { subject_id: 'subj-b' }),
      withdrawn('e3', ['ads']),
    ]);
    expect(Object.keys(states).sort()).toEqual([SUBJECT, 'subj-b'].sort());
    expect(states[SUBJECT]).toEqual(fold([granted('e1', ['ads']), withdrawn('e3', ['ads'])], SUBJECT));
    expect(states['subj-b'].purposes.email.status).toBe('granted');
  });
});

describe('serializeState', () => {
  it('sorts keys at every level, whatever order they were written in', () => {
    const nested = { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } };
    expect(canonicalJson(nested)).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ '10': 1, '9': 2 })).toBe('{"10":1,"9":2}');
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });

  it('gives the same bytes for states built in a different order', () => {
    const oneWay = fold([granted('e1', ['ads', 'email']), objected('e2', ['ads'])], SUBJECT);
    const keysReversed = JSON.parse(JSON.stringify(oneWay, (_key, value) => reverseKeys(value)));
    expect(JSON.stringify(keysReversed)).not.toBe(JSON.stringify(oneWay));
    expect(serializeState(keysReversed)).toBe(serializeState(oneWay));
    expect(JSON.parse(serializeState(oneWay))).toEqual(oneWay);
  });
});

function reverseKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).reverse());
}
