import type { Identity } from '@lethe/identity-vault';
import { escapeGlob, fillTemplate, missingIdentityTypes, parseTemplate } from './key-template';

const target = (subjectId: string, identities: Identity[] = []) => ({ subjectId, identities });

describe('fillTemplate', () => {
  it('fills the subject id and identities into the literal text', () => {
    const parts = parseTemplate('profile:{subjectId}:{identity:email}');
    expect(fillTemplate(parts, target('s1', [{ type: 'email', value: 'a@x.io' }]))).toEqual(['profile:s1:a@x.io']);
  });

  it('names one key per identity value, without repeats', () => {
    const parts = parseTemplate('profile:{identity:email}');
    const identities: Identity[] = [
      { type: 'email', value: 'a@x.io' },
      { type: 'phone', value: '+49' },
      { type: 'email', value: 'b@x.io' },
      { type: 'email', value: 'a@x.io' },
    ];
    expect(fillTemplate(parts, target('s1', identities))).toEqual(['profile:a@x.io', 'profile:b@x.io']);
  });

  it('names no key when the identity is absent or empty', () => {
    const parts = parseTemplate('profile:{identity:customer_id}');
    expect(fillTemplate(parts, target('s1', [{ type: 'email', value: 'a@x.io' }]))).toEqual([]);
    expect(fillTemplate(parts, target('s1', [{ type: 'customer_id', value: '' }]))).toEqual([]);
  });

  it('escapes inserted values only, never the template text', () => {
    const parts = parseTemplate('cart:{subjectId}:*');
    expect(fillTemplate(parts, target('a*b'), escapeGlob)).toEqual(['cart:a\\*b:*']);
  });

  it('reads doubled braces as literal braces (Redis hash tags)', () => {
    expect(fillTemplate(parseTemplate('session:{{{subjectId}}}'), target('42'))).toEqual(['session:{42}']);
  });
});

describe('parseTemplate', () => {
  it.each([
    ['', /must not be empty/],
    ['session:{subjectID}', /unknown placeholder "\{subjectID\}"/],
    ['profile:{identity:ssn}', /unknown placeholder "\{identity:ssn\}"/],
    ['session:{}', /unknown placeholder/],
    ['session:{subjectId', /unpaired "\{"/],
    ['session:subjectId}', /unpaired "\}"/],
    ['global-settings', /needs a placeholder/],
    ['{{subjectId}}', /needs a placeholder/],
  ])('refuses %j', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(message);
  });
});

describe('escapeGlob', () => {
  it('escapes every Redis glob metacharacter', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });

  it('leaves other characters alone', () => {
    expect(escapeGlob('user-1@x.io:{^}')).toBe('user-1@x.io:{^}');
  });
});

describe('missingIdentityTypes', () => {
  const templates = ['session:{subjectId}', 'profile:{identity:email}', 'recent:{identity:phone}:*', 'mail:{identity:email}:*'].map(parseTemplate);

  it('names each identity type some template needs and the target lacks, once', () => {
    expect(missingIdentityTypes(templates, target('s1'))).toEqual(['email', 'phone']);
    expect(missingIdentityTypes(templates, target('s1', [{ type: 'email', value: '' }, { type: 'phone', value: '+49' }]))).toEqual(['email']);
  });

  it('is empty when every template can be filled, or none needs an identity', () => {
    expect(missingIdentityTypes(templates, target('s1', [{ type: 'email', value: 'a@x.io' }, { type: 'phone', value: '+49' }]))).toEqual([]);
    expect(missingIdentityTypes([parseTemplate('cart:{subjectId}:*')], target('s1'))).toEqual([]);
  });
});
