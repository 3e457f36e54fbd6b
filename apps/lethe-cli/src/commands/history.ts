import { Command, EXIT } from '../cli';
import { factLine, factView, foldSubject } from '../subject-timeline';
import { loadSubjectFacts, SUBJECT_HELP, SUBJECT_OPTIONS } from './subject-facts';

export const history: Command = {
  spec: {
    name: 'history',
    usage: 'lethe history --subject <id> [--reveal] [--json]',
    options: SUBJECT_OPTIONS,
    help: [
      "The subject's whole timeline on consent.log, in log order, one line per fact: when it",
      'occurred, its type (with request, system, scope or kinds), purposes, source, actor,',
      'jurisdiction, policy version and log position (partition@offset), and its identifiers.',
      'A fact the fold did not apply (undecodable, not applicable, a repeat) says so.',
      '',
      ...SUBJECT_HELP,
      'Exit codes: 0 listed, 1 failed, 2 bad usage or settings, 3 the subject has no records.',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const facts = await loadSubjectFacts(parsed, env, io, 'history');
    const { notes } = foldSubject(facts.subjectId, facts.partition, facts.records);
    const views = facts.records.map((record) => factView(facts.partition, record, record.event ? (facts.identities.get(record.event.event_id) ?? null) : null, notes.get(record)));
    if (parsed.options.json === true) io.out(JSON.stringify({ subject: facts.subjectId, partition: facts.partition, facts: views }));
    else for (const view of views) io.out(factLine(view));
    return EXIT.ok;
  },
};
