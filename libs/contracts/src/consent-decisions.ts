import type { ConsentState } from './generated/consent-state';
import { OPT_OUT_SYMBOLS } from './generated/consent-state';

/**
 * What a consent.state record means for processing: the one rule that the projector (to derive
 * consent.opt-outs) and every guard (to answer `allowed`) apply, so they can never disagree.
 * A name is a purpose ("marketing") or an opt-out kind (SALE, SHARING, TARGETED_ADVERTISING,
 * PROFILING), as in the systems file's onOptOut.
 */
export type Restriction = 'erased' | 'objected' | 'opted_out' | 'withdrawn';
/** `no_record`: the subject never granted nor withdrew it; whether that allows is the reader's policy. */
export type Decision = 'granted' | Restriction | 'no_record';

/** The objections entry for an objection to all processing. */
export const ALL_PROCESSING = '*';

export function isRestriction(decision: Decision): decision is Restriction {
  return decision !== 'granted' && decision !== 'no_record';
}

/**
 * In order of precedence, the first that applies:
 * 1. erased: an erasure of everything, or of this purpose, unless the purpose was granted again
 *    after the request (a higher version). States written before erasures were recorded read
 *    `erasure` alone, and an erasure there stands for everything.
 * 2. objected: an objection to this purpose or to all processing (objections cannot be lifted).
 * 3. opted_out: an opt-out of this kind (opt-outs cannot be lifted).
 * 4. withdrawn or granted: the purpose's latest status.
 * 5. no_record.
 */
export function decisionFor(state: ConsentState, name: string): Decision {
  const purpose = Object.prototype.hasOwnProperty.call(state.purposes, name) ? state.purposes[name] : undefined;
  if (erasedFor(state, name, purpose?.status === 'GRANTED' ? purpose.version : -1)) return 'erased';
  if (state.objections.includes(ALL_PROCESSING) || state.objections.includes(name)) return 'objected';
  if ((state.opt_outs as string[]).includes(name)) return 'opted_out';
  if (!purpose) return 'no_record';
  return purpose.status === 'GRANTED' ? 'granted' : 'withdrawn';
}

function erasedFor(state: ConsentState, name: string, grantedAtVersion: number): boolean {
  if (state.erasures.length === 0) return state.erasure !== 'NONE';
  return state.erasures.some((erasure) => (erasure.scope === 'ALL' || erasure.purposes.includes(name)) && grantedAtVersion <= erasure.version);
}

/** A state's decisions, compiled: `names` for everything the state mentions, `others` for every other name. */
export interface CompiledDecisions {
  version: number;
  names: Map<string, Decision>;
  others: Decision;
}

/** A name no state can mention (purposes are validated strings without control characters). */
const UNMENTIONED = '\u0000';

export function compileDecisions(state: ConsentState): CompiledDecisions {
  const mentioned = new Set<string>([
    ...Object.keys(state.purposes),
    ...state.objections.filter((name) => name !== ALL_PROCESSING),
    ...state.opt_outs,
    ...state.erasures.flatMap((erasure) => erasure.purposes),
  ]);
  const names = new Map([...mentioned].map((name) => [name, decisionFor(state, name)] as const));
  return { version: state.version, names, others: decisionFor(state, UNMENTIONED) };
}

export function isOptOutKind(name: string): name is (typeof OPT_OUT_SYMBOLS)[number] {
  return (OPT_OUT_SYMBOLS as readonly string[]).includes(name);
}
