import { Command, EXIT, Output, runCommand } from './cli';
import { asOf } from './commands/as-of';
import { diff } from './commands/diff';
import { history } from './commands/history';
import { rebuild } from './commands/rebuild';
import { reapply } from './commands/reapply';
import { reprocess } from './commands/reprocess';
import { systems } from './commands/systems';
import { verifyLog } from './commands/verify-log';

// lethe <command> [options]: the auditor's and operator's tool on consent.log (README, "Audits and backfills").

const COMMANDS: Record<string, Command> = { rebuild, diff, 'as-of': asOf, history, systems, reapply, reprocess, 'verify-log': verifyLog };

const USAGE = [
  'usage: lethe <command> [options]   (npx lethe …, npm run lethe -- …)',
  '',
  ...Object.values(COMMANDS).map((command) => `  ${command.spec.usage}`),
  '',
  '`lethe <command> --help` says what each does, what it costs and its exit codes.',
].join('\n');

async function main(args: string[], io: Output): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    io.err(name === undefined ? 'lethe: no command given' : 'lethe: unknown command');
    io.err(USAGE);
    return EXIT.usage;
  }
  return runCommand(command, rest, process.env, io);
}

const io: Output = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  status: process.stderr.isTTY ? (line) => void process.stderr.write(line) : undefined,
};

void main(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
