// Argument parsing for the CLI and the benchmarks on Node's util.parseArgs: `--name value`, `--flag`, positional
// words; unknown flags are usage errors (exit 2).
import { parseArgs as nodeParseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** 'string' takes a value; 'boolean' does not. */
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/**
 * Node's util.parseArgs does the tokenising (`--name value`, `--name=value`, `--flag`, `--` ends options); the
 * spec's checks stay here, so messages and exit codes are the CLI's own. Not strict: strict mode would refuse a
 * value that starts with a dash (`--seed -3`), which is a valid number here.
 */
export function parseArgs(spec: CommandSpec, argv: string[]): { flags: ParsedFlags; positional: string[] } {
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, f]) => [name, { type: f.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { tokens } = nodeParseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const flags: ParsedFlags = {};
  const positional: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    const f = Object.hasOwn(spec.flags, t.name) && t.rawName.startsWith('--') ? spec.flags[t.name] : undefined;
    if (!f) throw new UsageError(`unknown option ${t.rawName} for "${spec.name}" (see --help)`);
    if (f.type === 'boolean') {
      flags[t.name] = true;
      continue;
    }
    const raw = t.value;
    if (raw === undefined) throw new UsageError(`--${t.name} needs a value`);
    if (f.choices && !f.choices.includes(raw)) throw new UsageError(`--${t.name} must be one of ${f.choices.join(', ')}, got "${raw}"`);
    if (f.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${t.name} must be a number, got "${raw}"`);
      flags[t.name] = n;
    } else flags[t.name] = raw;
  }
  for (const [name, f] of Object.entries(spec.flags)) {
    if (flags[name] === undefined && f.default !== undefined) flags[name] = f.default;
    if (f.required && flags[name] === undefined) throw new UsageError(`missing --${name} (${f.help})`);
  }
  return { flags, positional };
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const arg = f.type === 'boolean' ? '' : f.choices ? ` <${f.choices.join('|')}>` : ` <${f.type === 'number' ? 'n' : 'value'}>`;
    const extra = [f.required ? 'required' : '', f.default !== undefined ? `default ${f.default}` : ''].filter(Boolean).join(', ');
    return `  --${name}${arg}`.padEnd(40) + f.help + (extra ? ` (${extra})` : '');
  });
  return `${spec.summary}\n\nusage: ${spec.usage}\n\noptions:\n${rows.join('\n')}\n`;
}

/**
 * The flags of a script (the benchmarks) by the CLI's rules: `--help` prints the help and exits 0, a usage error
 * prints its message and exits 2.
 */
export function scriptFlags(spec: CommandSpec, argv: string[] = process.argv.slice(2)): ParsedFlags {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  try {
    return parseArgs(spec, argv).flags;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${spec.name}: ${e.message}\n${helpText(spec)}`);
    process.exit(2);
  }
}
