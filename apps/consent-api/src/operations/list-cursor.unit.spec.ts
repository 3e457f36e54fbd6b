import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor } from './list-cursor';

it('decodes what it encoded', () => {
  const position = { dueAt: '2026-04-01T10:00:00.000Z', requestId: 'dsr-1:a.b', subjectId: 'subj-1' };
  const cursor = encodeCursor(position);
  expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(decodeCursor(cursor)).toEqual(position);
});

it.each([
  ['not base64 JSON', 'not-a-cursor'],
  ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
  ['a date that is not one', Buffer.from('["soon","dsr-1","subj-1"]').toString('base64url')],
  ['an empty request id', Buffer.from('["2026-04-01T10:00:00.000Z","","subj-1"]').toString('base64url')],
  ['no subject id', Buffer.from('["2026-04-01T10:00:00.000Z","dsr-1"]').toString('base64url')],
  ['a request id with a control character', Buffer.from('["2026-04-01T10:00:00.000Z","dsr\\u0000","subj-1"]').toString('base64url')],
  ['characters outside base64url around a valid cursor', `${encodeCursor({ dueAt: '2026-04-01T10:00:00.000Z', requestId: 'dsr-1', subjectId: 'subj-1' })}\u0000`],
])('refuses %s, naming the field', (_, cursor) => {
  expect(() => decodeCursor(cursor)).toThrow(BadRequestException);
  try {
    decodeCursor(cursor);
  } catch (error) {
    expect((error as BadRequestException).getResponse()).toMatchObject({ error: 'validation', field: 'cursor' });
  }
});

it('keeps microseconds, as PostgreSQL stores them', () => {
  const position = { dueAt: '2026-04-01T10:00:00.123456Z', requestId: 'dsr-1', subjectId: 'subj-1' };
  expect(decodeCursor(encodeCursor(position))).toEqual(position);
});
