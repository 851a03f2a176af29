// `run` with a plain command line skips yargs (src/cli/fast-args.ts): the handler must get what
// yargs gives it, and every line that is not plain must go to yargs (undefined here).
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { RUN_OPTIONS, runCommand } from '../../src/cli/commands/run.js';
import { plainArgs } from '../../src/cli/fast-args.js';

/** What yargs hands run's handler for `run ...words` (the handler replaced by a recorder). */
async function viaYargs(words: string[]): Promise<Record<string, unknown>> {
  let got: Record<string, unknown> | undefined;
  await yargs(['run', ...words])
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .command({ ...runCommand, handler: (a: Record<string, unknown>) => void (got = a) } as never)
    .parseAsync();
  // the handler reads the program and the options by their own names
  return Object.fromEntries(['program', ...Object.keys(RUN_OPTIONS)].filter((k) => got![k] !== undefined).map((k) => [k, got![k]]));
}

describe('plain run command lines without yargs', () => {
  const plain = [
    ['net'],
    ['build/net', '--json'],
    ['--json', 'a.elf'],
    ['a.elf', '--cores', '3', '--no-record', '--profile'],
    ['a.elf', '--cores=2', '--max-instructions', '1000', '--max-cycles=50000'],
    ['a.elf', '--itrace', 'out.txt', '--trace=t.json', '--freq-mhz', '370.5', '--voltage', '0.65', '--record'],
    ['a.elf', '--no-json', '--no-profile'],
  ];
  for (const words of plain)
    it(`run ${words.join(' ')}: the arguments yargs gives`, async () => {
      const fast = plainArgs(words, 'program', RUN_OPTIONS);
      expect(fast).toBeDefined();
      expect(fast).toEqual(await viaYargs(words));
    });

  it('anything else goes through yargs', () => {
    const other = [
      [], // no program
      ['a.elf', 'b.elf'],
      ['a.elf', '--help'],
      ['a.elf', '-h'],
      ['a.elf', '--bogus'],
      ['a.elf', '--cores', '3', '--cores', '4'],
      ['a.elf', '--cores'],
      ['a.elf', '--cores', '-1'],
      ['a.elf', '--cores', '9'], // fails its check: yargs reports it
      ['a.elf', '--json=true'],
      ['a.elf', '--no-itrace'],
      ['a.elf', '--itrace='],
      ['a.elf', '--'],
      ['a.elf', '--maxInstructions', '5'],
    ];
    for (const words of other) expect(plainArgs(words, 'program', RUN_OPTIONS), words.join(' ')).toBeUndefined();
  });
});
