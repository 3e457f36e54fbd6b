/**
 * One line about an error that is safe to log: no personal data. PostgreSQL errors (from pg, or
 * wrapped by TypeORM's QueryFailedError) carry row values in `detail`, the failing statement's
 * values in `parameters`, and often the offending value in the message itself ("invalid input
 * syntax for type uuid: …"), so they are summarised by SQLSTATE and the names of the objects
 * involved only. Other errors (KafkaJS, configuration, our own) say what went wrong without
 * values; their message is kept, on one line and cut short.
 */
export function safeErrorSummary(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error}`;
  const database = databaseError(error);
  if (database) {
    const objects = (['table', 'column', 'constraint'] as const)
      .filter((name) => typeof database[name] === 'string' && database[name] !== '')
      .map((name) => `${name} ${database[name]}`);
    return `${error.name}: database error ${database.code}${objects.length ? ` (${objects.join(', ')})` : ''}`;
  }
  const kafkaType = (error as unknown as { type?: unknown }).type;
  const type = typeof kafkaType === 'string' ? ` [${kafkaType}]` : '';
  return `${error.name}${type}: ${oneLine(error.message)}`;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_MESSAGE = 300;

export interface DatabaseError {
  code: string;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
}

/** The error PostgreSQL sent (it has a SQLSTATE and a severity), bare or as a wrapper carries it (TypeORM's driverError). */
export function databaseError(error: Error): DatabaseError | null {
  for (const candidate of [error, (error as { driverError?: unknown }).driverError]) {
    const fields = candidate as { code?: unknown; severity?: unknown } | undefined;
    if (fields && typeof fields.code === 'string' && SQLSTATE.test(fields.code) && 'severity' in fields) return fields as DatabaseError;
  }
  return null;
}

function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = message.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}
