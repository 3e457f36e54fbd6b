import { BadRequestException } from '@nestjs/common';
import { CODE } from '../writes/text-fields';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Keyset paging over (due date, request id, subject id): the position after the last request of a
 * page (the subject breaks the tie of one request id that a log holds for two subjects).
 * Unlike an offset, it neither skips nor repeats a request when others are added or complete
 * between two pages. Opaque to clients (base64url of JSON), so its form can change.
 */
export interface ListPosition {
  dueAt: string;
  requestId: string;
  subjectId: string;
}

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.dueAt, position.requestId, position.subjectId])).toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  let parsed: unknown = null;
  try {
    // Buffer.from skips what is not base64url; a cursor holding anything else is not ours.
    if (BASE64URL.test(cursor)) parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 3) {
    const [dueAt, requestId, subjectId] = parsed as unknown[];
    const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
    if (typeof dueAt === 'string' && !Number.isNaN(Date.parse(dueAt)) && typeof requestId === 'string' && CODE.test(requestId) && nonEmpty(subjectId)) {
      return { dueAt, requestId, subjectId };
    }
  }
  throw new BadRequestException({ error: 'validation', field: 'cursor', message: 'cursor is not one this API returned' });
}
