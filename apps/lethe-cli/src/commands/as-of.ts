import type { SubjectState } from '@lethe/consent-domain';
import { toConsentState } from '@lethe/projection';
import { Command, EXIT, required, UsageError } from '../cli';
import { instantFrom } from '../instants';
import { factLine, factView, foldSubject } from '../subject-timeline';
import { loadSubjectFacts, SUBJECT_HELP, SUBJECT_OPTIONS } from './subject-facts';


export const asOf: Command = {
  spec: {
    name: 'as-of',
    usage: 'lethe as-of --subject <id> --at <ISO 8601 time | partition:offset[,partition:offset...]> [--reveal] [--json]',
    options: { ...SUBJECT_OPTIONS, at: 'string' },
    help: [
      "The subject's consent state at a past instant, folded by the projector's code from the",
      'events that made it, each listed as `lethe history` lists it.',
      '',
      '  --at <time>       by event time: the events that occurred (occurred_at) at or before it,',
      '                    folded in log order, e.g. 2026-03-03T23:59:59Z',
      '  --at <positions>  by log position: the log up to and including these offsets, e.g. 3:17',
      '                    or a list of them for every partition (0:120,1:98,...); the one of the',
      "                    subject's partition is used",
      ...SUBJECT_HELP,
      'Exit codes: 0 shown, 1 failed, 2 bad usage or settings, 3 the subject has no records.',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const at = instantFrom(required(parsed, 'at'));
    const facts = await loadSubjectFacts(parsed, env, io, 'as-of');
    let upTo: bigint | undefined;
    if ('positions' in at) {
      upTo = at.positions.get(facts.partition);
      if (upTo === undefined) throw new UsageError(`--at names no offset on partition ${facts.partition}, where this subject's records are`);
    }
    const made = facts.records.filter((record) =>
      upTo !== undefined ? BigInt(record.message.offset) <= upTo : record.event !== undefined && record.event.occurred_at <= (at as { time: number }).time,
    );
    const { state, notes } = foldSubject(facts.subjectId, facts.partition, made);
    const views = made.map((record) => factView(facts.partition, record, record.event ? (facts.identities.get(record.event.event_id) ?? null) : null, notes.get(record)));
    const instant = 'time' in at ? { time: new Date(at.time).toISOString() } : { positions: Object.fromEntries([...at.positions].map(([p, o]) => [String(p), o.toString()])) };
    const lastRecorded = Math.max(0, ...made.flatMap((record) => (record.event ? [record.event.recorded_at] : [])));
    if (parsed.options.json === true) {
      io.out(JSON.stringify({ subject: facts.subjectId, partition: facts.partition, at: instant, state: toConsentState(state, lastRecorded), events: views }));
      return EXIT.ok;
    }
    const when = 'time' in instant ? `${instant.time} (event time)` : `position ${facts.partition}:${upTo} (log position)`;
    io.out(`subject ${facts.subjectId} as of ${when}: version ${state.version}, partition ${facts.partition}`);
    for (const line of describe(state)) io.out(`  ${line}`);
    io.out(made.length === 0 ? 'no events before then' : `made by ${made.length} event(s):`);
    for (const view of views) io.out(`  ${factLine(view)}`);
    return EXIT.ok;
  },
};

/** The state in a few lines: purposes, opt-outs, objections, erasure requests. */
function describe(state: SubjectState): string[] {
  const when = (ms: number) => new Date(ms).toISOString();
  const purposes = Object.entries(state.purposes).map(([purpose, p]) => `${purpose}: ${p.status} since ${when(p.at)} (policy ${p.policyVersion ?? '-'})`);
  const optOuts = Object.keys(state.optOuts).sort();
  const objections = Object.keys(state.objections).sort();
  const erasures = Object.values(state.erasureRequests).map((r) => `${r.requestId} ${r.status}${r.scope ? ` (scope ${r.scope})` : ''}`);
  return [
    ...(purposes.length > 0 ? purposes : ['no consent recorded for any purpose']),
    `opt-outs: ${optOuts.join(', ') || 'none'}`,
    `objections: ${objections.join(', ') || 'none'}`,
    `erasure requests: ${erasures.join(', ') || 'none'}`,
  ];
}
