import { readFileSync } from 'node:fs';
import { NoteError, NoteVerifier, parseVerifierKey, privateKeyFromSeed, verifierKey, verifyPartition } from '@lethe/certificates';
import { checkpointKeyFrom, ConfigError, Env } from '@lethe/config';
import { Command, EXIT, Output, Parsed, Refusal, UsageError } from '../cli';
import { Progress } from '../progress';
import { cliKafka, cliSettings } from '../settings';
import { readChain } from '../verify-log/read-chain';
import { readCheckpoints } from '../verify-log/read-checkpoints';
import { exitCodeOf, verdictLine, Verdicts, VERIFY_EXIT } from '../verify-log/verdicts';

/** The name the checkpointer signs under (apps/checkpointer). */
const KEY_NAME = 'lethe-checkpoints';

export const verifyLog: Command = {
  spec: {
    name: 'verify-log',
    usage: 'lethe verify-log [--key <verifier key|file>] [--topic <topic>] [--json]',
    options: { key: 'string', topic: 'string', json: 'flag' },
    help: [
      "Recomputes the hash chain of every partition of consent.log and checks it against every",
      'signed checkpoint on consent.audit (docs/adr/0017): each signature, that the checkpoints',
      'agree with each other, and that the log gives each one. At the first record that differs',
      'it says what happened and at which offset: a record altered, missing, reordered or',
      'inserted, or the log truncated below a checkpoint. Records after the last checkpoint are',
      'counted, not judged. It prints offsets and counts only, never what a record holds.',
      '',
      '  --key <vkey>     the checkpoint verifier key you pinned (lethe-checkpoints+<hash>+<key>,',
      '                   as the checkpointer logs it at start), or a file holding it, or several,',
      '                   one a line (a key and those it replaced); without it,',
      "                   LETHE_CHECKPOINT_KEY's public half, which shows the log matches the",
      '                   checkpoints but, unpinned, not who signed them',
      "  --topic <topic>  verify this topic (a copy or a restore of consent.log) against",
      "                   consent.log's checkpoints",
      '  --json           one JSON object on stdout, no progress on stderr',
      '',
      'Cost: reads every record of the log and of consent.audit once; progress (records, rate,',
      'ETA) on stderr. Reads KAFKA_BROKERS, LETHE_TOPIC_PREFIX and, without --key,',
      'LETHE_CHECKPOINT_KEY.',
      'Exit codes: 0 verified, 1 failed, 2 bad usage or settings, 3 no checkpoint yet (nothing',
      `verified), ${VERIFY_EXIT.invalid_checkpoint} a checkpoint is invalid (signature, or disagreeing), ${VERIFY_EXIT.altered} altered, ${VERIFY_EXIT.missing} missing,`,
      `${VERIFY_EXIT.reordered} reordered, ${VERIFY_EXIT.inserted} inserted, ${VERIFY_EXIT.truncated} truncated (the lowest partition that did not verify decides).`,
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const json = parsed.options.json === true;
    const settings = cliSettings(env);
    const { pinned, verifiers, vkeys } = verifierFrom(parsed, env);
    const checkpointed = settings.topics.consentLog;
    const topic = typeof parsed.options.topic === 'string' ? parsed.options.topic : checkpointed;
    const auditTopic = settings.topics.consentAudit;
    const kafka = cliKafka(settings);

    const checkpoints = await readCheckpoints(kafka, auditTopic, checkpointed, verifiers);
    if (checkpoints.invalid) {
      const { auditOffset, detail } = checkpoints.invalid;
      if (json) io.out(JSON.stringify({ topic, auditTopic, verified: false, invalidCheckpoint: checkpoints.invalid }));
      else io.out(`${auditTopic} offset ${auditOffset} is not a valid checkpoint of ${checkpointed}: ${detail}`);
      return VERIFY_EXIT.invalid_checkpoint;
    }
    if (checkpoints.count === 0) throw new Refusal(`${auditTopic} holds no checkpoint of ${checkpointed} yet: nothing to verify against (is the checkpointer running?)`);
    if (!pinned && !json) io.err(`lethe verify-log: checking against LETHE_CHECKPOINT_KEY's public half, not a pinned key (--key)`);

    const chain = await readChain(kafka, topic, (total) => new Progress(io, 'verify-log: records', total, json));
    const partitions = [...new Set([...chain.keys(), ...checkpoints.byPartition.keys()])].sort((a, b) => a - b);
    const verdicts: Verdicts = partitions.map((p) => [p, verifyPartition(checkpoints.byPartition.get(p) ?? [], chain.get(p) ?? [])]);
    const code = exitCodeOf(verdicts);
    report(io, json, { topic, auditTopic, checkpointed, verdicts, code, vkeys });
    return code;
  },
};

function verifierFrom(parsed: Parsed, env: Env): { pinned: boolean; verifiers: NoteVerifier[]; vkeys: string[] } {
  const given = parsed.options.key;
  try {
    const pinned = typeof given === 'string';
    const text = pinned ? (given.includes('+') ? given : readKeyFile(given)) : verifierKey(KEY_NAME, privateKeyFromSeed(checkpointKeyFrom(env).seed));
    const vkeys = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    if (vkeys.length === 0) throw new NoteError('no verifier key given');
    return { pinned, verifiers: vkeys.map(parseVerifierKey), vkeys };
  } catch (error) {
    if (error instanceof NoteError) throw new UsageError(`--key: ${error.message}`);
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError('--key is neither a verifier key nor a readable file');
  }
}

interface Report {
  topic: string;
  auditTopic: string;
  checkpointed: string;
  verdicts: Verdicts;
  code: number;
  /** The verifier keys the checkpoints were checked with. */
  vkeys: string[];
}

function report(io: Output, json: boolean, { topic, auditTopic, checkpointed, verdicts, code, vkeys }: Report): void {
  if (json) {
    io.out(JSON.stringify({ topic, auditTopic, keys: vkeys, verified: code === EXIT.ok, partitions: verdicts.map(([partition, verdict]) => ({ partition, ...verdict })) }));
    return;
  }
  for (const [partition, verdict] of verdicts) io.out(verdictLine(partition, verdict, auditTopic));
  const against = topic === checkpointed ? auditTopic : `the checkpoints of ${checkpointed} on ${auditTopic}`;
  io.out(code === EXIT.ok ? `${topic} verified against ${against}` : `${topic} does NOT match ${against}`);
}
