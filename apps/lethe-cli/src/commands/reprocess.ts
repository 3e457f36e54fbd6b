import { GroupHasLiveMembersError, PartitionMove, resetGroupOffsets, ResetTarget } from '@lethe/kafka';
import { Command, EXIT, Refusal, required } from '../cli';
import { positionsFrom, timeFrom } from '../instants';
import { cliKafka, cliSettings, declaredSystems } from '../settings';

export const reprocess: Command = {
  spec: {
    name: 'reprocess',
    usage: 'lethe reprocess --system <name> --from <offset|partition:offset,...|instant> [--dry-run] [--json]',
    options: { system: 'string', from: 'string', 'dry-run': 'flag', json: 'flag' },
    help: [
      "Moves the system's consumer group on consent.log back to a past position, so that its",
      'erasure worker, once started again, reads every record from there once more: to correct',
      'what it did while it ignored something (opt-out signals it did not map, a bug since fixed).',
      'Work it finished already is not done twice: each step keeps its work id, the system\'s',
      'ledger answers "done" and the acknowledgement it appends again has the same event id, which',
      'the fold applies once; work it skipped or got wrong is carried out now. Refused while the',
      "group has live members (stop the system's worker first): they would commit over the move.",
      '',
      '  --system <name>  a system of LETHE_SYSTEMS_FILE',
      '  --from <...>     an offset for every partition (0: the whole log), offsets per partition',
      '                   (0:120,3:88; other partitions keep their position), or an instant',
      '                   (ISO 8601): the first record each partition received at or after it',
      '  --dry-run        show the move, change nothing',
      '  --json           one JSON object on stdout',
      '',
      'Cost: a few admin requests. Reads LETHE_SYSTEMS_FILE, KAFKA_BROKERS and LETHE_TOPIC_PREFIX.',
      'Exit codes: 0 moved (or shown), 1 failed, 2 bad usage or settings, 3 refused (the group has',
      'live members, or the system is not declared).',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const name = required(parsed, 'system');
    const target = resetTarget(required(parsed, 'from'));
    const dryRun = parsed.options['dry-run'] === true;
    declaredSystems(env, name);
    const settings = cliSettings(env);
    const group = settings.systemGroup(name);
    const admin = cliKafka(settings).admin();
    let moves: PartitionMove[];
    try {
      await admin.connect();
      moves = await resetGroupOffsets(admin, group, settings.topics.consentLog, target, { dryRun });
    } catch (error) {
      if (error instanceof GroupHasLiveMembersError) {
        throw new Refusal(`consumer group ${group} has ${error.members} live member(s): stop the worker that runs ${name} (LETHE_WORKER_SYSTEMS) before moving its position`);
      }
      throw error;
    } finally {
      await admin.disconnect();
    }
    const records = moves.reduce((sum, m) => sum + ((m.from ?? 0n) - m.to), 0n);
    if (parsed.options.json === true) {
      io.out(JSON.stringify({ system: name, group, topic: settings.topics.consentLog, dryRun, partitions: moves.map((m) => ({ partition: m.partition, from: m.from?.toString() ?? null, to: m.to.toString() })) }));
    } else {
      io.out(`${dryRun ? 'would move' : 'moved'} ${group} on ${settings.topics.consentLog}: ${records >= 0n ? `${records} record(s) to read again` : `${-records} record(s) skipped`}`);
      for (const m of moves) io.out(`  partition ${m.partition}: ${m.from ?? 'none'} -> ${m.to}`);
      if (!dryRun) io.out(`start the worker of ${name} to reprocess from there`);
    }
    return EXIT.ok;
  },
};

/** `--from`: an offset for every partition, partition:offset pairs, or an ISO 8601 time. */
export function resetTarget(value: string): ResetTarget {
  if (/^\d{1,19}$/.test(value)) return { offset: BigInt(value) };
  const offsets = positionsFrom(value, '--from');
  return offsets ? { offsets } : { timestamp: timeFrom(value, '--from', 'an offset, partition:offset pairs (0:120,3:88) or an ISO 8601 time') };
}
