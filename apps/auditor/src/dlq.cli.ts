import { runDlqCommand } from './dlq/dlq.command';

// npm run dlq -- list [--json] | redrive (--offset N ... | --reason R); see dlq/dlq.command.ts.

void runDlqCommand(process.argv.slice(2), process.env, { out: (line) => console.log(line), err: (line) => console.error(line) }).then((code) => {
  process.exitCode = code;
});
