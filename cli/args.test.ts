// The CLI's flag rules on top of util.parseArgs: values, numbers, choices, defaults and usage errors.
import { describe, expect, it } from 'vitest';
import { helpText, parseArgs, UsageError, type CommandSpec } from './args';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A demo command.',
  usage: 'tokenformer demo --in F',
  flags: {
    in: { type: 'string', required: true, help: 'input file' },
    seed: { type: 'number', default: 0, help: 'seed' },
    mode: { type: 'string', default: 'a', choices: ['a', 'b'], help: 'mode' },
    quiet: { type: 'boolean', help: 'no progress' },
  },
};

describe('parseArgs', () => {
  it('reads --name value, --name=value, flags and positional words, with defaults', () => {
    expect(parseArgs(spec, ['word', '--in', 'x', '--seed=-3', '--quiet'])).toEqual({ flags: { in: 'x', seed: -3, mode: 'a', quiet: true }, positional: ['word'] });
    // A value may start with a dash; `--` ends the options.
    expect(parseArgs(spec, ['--in', '-', '--seed', '-7', '--', '--mode']).flags).toMatchObject({ in: '-', seed: -7 });
    expect(parseArgs(spec, ['--in', 'x', '--', '--mode']).positional).toEqual(['--mode']);
  });

  it('refuses unknown, short, valueless, out-of-choice, non-numeric and missing flags with usage errors', () => {
    const bad: [string[], RegExp][] = [
      [['--in', 'x', '--nope'], /unknown option --nope for "demo"/],
      [['--in', 'x', '-q'], /unknown option -q/],
      [['--in'], /--in needs a value/],
      [['--in', 'x', '--mode', 'c'], /--mode must be one of a, b, got "c"/],
      [['--in', 'x', '--seed', 'ten'], /--seed must be a number, got "ten"/],
      [[], /missing --in \(input file\)/],
    ];
    for (const [argv, msg] of bad) {
      expect(() => parseArgs(spec, argv)).toThrow(UsageError);
      expect(() => parseArgs(spec, argv)).toThrow(msg);
    }
  });

  it('lists every flag in the help text', () => {
    expect(helpText(spec)).toMatch(/--mode <a\|b>\s+mode \(default a\)/);
    expect(helpText(spec)).toMatch(/--in <value>\s+input file \(required\)/);
  });
});
