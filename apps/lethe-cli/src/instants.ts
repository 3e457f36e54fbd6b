import { UsageError } from './cli';

/** An instant on consent.log: by event time, or by log position per partition. */
export type Instant = { time: number } | { positions: Map<number, bigint> };

const POSITIONS = /^\d{1,5}:\d{1,19}(,\d{1,5}:\d{1,19})*$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

export function instantFrom(value: string, argument = '--at'): Instant {
  if (POSITIONS.test(value)) {
    const positions = new Map<number, bigint>();
    for (const [partition, offset] of value.split(',').map((entry) => entry.split(':'))) {
      if (positions.has(Number(partition))) throw new UsageError(`${argument} names a partition twice`);
      positions.set(Number(partition), BigInt(offset));
    }
    return { positions };
  }
  const time = isoTime(value);
  if (Number.isNaN(time)) throw new UsageError(`${argument} must be an ISO 8601 time (2026-03-03T12:00:00Z) or partition:offset positions (3:17,4:2)`);
  return { time };
}

/** An ISO 8601 time as epoch milliseconds; NaN for anything else. */
export function isoTime(value: string): number {
  return ISO_TIME.test(value) ? Date.parse(value) : NaN;
}

/** An instant by event time only (ISO 8601), as epoch milliseconds; `what` says what else the argument takes. */
export function timeFrom(value: string, argument: string, what = 'an ISO 8601 time, such as 2026-03-01T00:00:00Z'): number {
  const time = isoTime(value);
  if (Number.isNaN(time)) throw new UsageError(`${argument} must be ${what}`);
  return time;
}

/** Positions per partition (3:17,4:2), or undefined when the value is not a list of them. */
export function positionsFrom(value: string, argument: string): Map<number, bigint> | undefined {
  if (!POSITIONS.test(value)) return undefined;
  return (instantFrom(value, argument) as { positions: Map<number, bigint> }).positions;
}
