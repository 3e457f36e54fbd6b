import { CommandSpec, EXIT, Output, parseArgs, Refusal, runCommand, UsageError } from './cli';

const spec: CommandSpec = { name: 'demo', usage: 'lethe demo <a> --into <schema> [--json]', help: 'Does a demo.', options: { into: 'string', json: 'flag' }, positionals: ['a'] };

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe('parseArgs', () => {
  it('reads options as --name value or --name=value, flags and positionals', () => {
    expect(parseArgs(spec, ['x', '--into', 'rebuilt', '--json'])).toEqual({ options: { into: 'rebuilt', json: true }, positionals: ['x'], help: false });
    expect(parseArgs(spec, ['--into=a=b', 'x']).options.into).toBe('a=b');
    expect(parseArgs(spec, ['--help', '--bogus']).help).toBe(true);
    expect(parseArgs(spec, ['-h']).help).toBe(true);
  });

  it('names the argument that is wrong, never its value', () => {
    const cases: [string[], string][] = [
      [['x', '--secret=ada@example.com'], 'unknown option --secret'],
      [['x', '--into'], '--into needs a value'],
      [['x', '--into', '--json'], '--into needs a value'],
      [['x', '--json=yes'], '--json takes no value'],
      [['x', '--json', '--json'], '--json is given twice'],
      [['x', 'ada@example.com'], 'too many arguments: demo takes <a>'],
      [[], 'missing <a>'],
    ];
    for (const [args, message] of cases) expect(() => parseArgs(spec, args)).toThrow(new UsageError(message));
  });
});

describe('runCommand', () => {
  const run = (body: () => Promise<number>) => runCommand({ spec, run: body }, ['x'], {}, capture());

  it('maps refusals to 3, usage errors to 2 with the usage, other failures to 1, summarised safely', async () => {
    expect(await run(async () => EXIT.ok)).toBe(0);
    expect(await run(async () => Promise.reject(new Refusal('no')))).toBe(3);
    expect(await run(async () => Promise.reject(new UsageError('bad')))).toBe(2);
    const io = capture();
    const failure = Object.assign(new Error('invalid input syntax for type uuid: "ada@example.com"'), { code: '22P02', severity: 'ERROR' });
    expect(await runCommand({ spec, run: async () => Promise.reject(failure) }, ['x'], {}, io)).toBe(1);
    expect(io.errors).toEqual(['lethe demo: Error: database error 22P02']);
  });

  it('prints help on stdout with exit 0, and usage on stderr with exit 2', async () => {
    const help = capture();
    expect(await runCommand({ spec, run: async () => EXIT.failed }, ['--help'], {}, help)).toBe(0);
    expect(help.lines).toEqual(['usage: lethe demo <a> --into <schema> [--json]\n\nDoes a demo.']);
    const usage = capture();
    expect(await runCommand({ spec, run: async () => EXIT.ok }, [], {}, usage)).toBe(2);
    expect(usage.errors).toEqual(['lethe demo: missing <a>', 'usage: lethe demo <a> --into <schema> [--json]']);
  });
});
