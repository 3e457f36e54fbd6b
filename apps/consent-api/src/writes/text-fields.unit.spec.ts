import { CODE, hasControlOrLoneSurrogate } from './text-fields';

describe('hasControlOrLoneSurrogate', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a new line', 'a\nb'],
    ['ESC', '\u001b[31m'],
    ['DEL', 'a\u007f'],
    ['C1 NEL', 'a\u0085'],
    ['C1 APC', '\u009f'],
    ['a lone high surrogate at the end', 'a\ud800'],
    ['a lone high surrogate before a letter', '\ud800a'],
    ['a lone low surrogate', 'a\udc00b'],
    ['two high surrogates', '\ud800\ud800\udc00'],
  ])('finds %s', (_name, text) => {
    expect(hasControlOrLoneSurrogate(text)).toBe(true);
  });

  it.each([
    ['plain ASCII', 'ada@example.com'],
    ['letters with accents', 'Zoë Müller-Lüdenscheidt'],
    ['a complete surrogate pair (an emoji)', 'ok \ud83d\ude00'],
    ['the empty string', ''],
    ['a no-break space (not a control)', 'a\u00a0b'],
  ])('accepts %s', (_name, text) => {
    expect(hasControlOrLoneSurrogate(text)).toBe(false);
  });
});

describe('CODE', () => {
  it('takes codes and refuses prose', () => {
    expect(['complex_request', 'checkout:42', 'req-1.b', 'X'.repeat(128)].every((code) => CODE.test(code))).toBe(true);
    expect(['', 'complex request', 'ada@example.com', 'x'.repeat(129), 'a\nb'].some((text) => CODE.test(text))).toBe(false);
  });
});
